"""Filters over HTTP: the standard ones, each kind of extra field, and ``__in`` lists."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.db import connection, models
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext, isolate_apps
from django.utils import timezone, translation
from django_filters import rest_framework as filters

from django_celery_results.models.abstract import AbstractTaskResult
from results_api.rest.filters import TaskResultFilterSet, get_task_filterset_class, narrow_filterset

from .conftest import task_ids, tasks_url


def _ids(response) -> set[str]:
    return set(task_ids(response))


# Standard filters


def test_status_filter(staff_client, make_task):
    make_task(task_id="ok", status="SUCCESS")
    make_task(task_id="ko", status="FAILURE")
    assert _ids(staff_client.get(tasks_url(status="FAILURE"))) == {"ko"}


def test_status_in_filter_takes_comma_separated_states(staff_client, make_task):
    make_task(task_id="ok", status="SUCCESS")
    make_task(task_id="ko", status="FAILURE")
    make_task(task_id="run", status="STARTED")
    assert _ids(staff_client.get(tasks_url(status__in="SUCCESS,FAILURE"))) == {"ok", "ko"}


def test_task_name_filter(staff_client, make_task):
    make_task(task_id="a", task_name="app.add")
    make_task(task_id="b", task_name="app.mul")
    assert _ids(staff_client.get(tasks_url(task_name="app.mul"))) == {"b"}


def test_task_name_in_filter(staff_client, make_task):
    make_task(task_id="a", task_name="app.add")
    make_task(task_id="b", task_name="app.mul")
    make_task(task_id="c", task_name="app.div")
    assert _ids(staff_client.get(tasks_url(task_name__in="app.add,app.div"))) == {"a", "c"}


def test_worker_filter(staff_client, make_task):
    make_task(task_id="a", worker="celery@one")
    make_task(task_id="b", worker="celery@two")
    assert _ids(staff_client.get(tasks_url(worker="celery@two"))) == {"b"}


def test_periodic_task_name_filter(staff_client, make_task):
    make_task(task_id="a", periodic_task_name="nightly")
    make_task(task_id="b")
    assert _ids(staff_client.get(tasks_url(periodic_task_name="nightly"))) == {"a"}


def test_task_id_filter(staff_client, make_task):
    make_task(task_id="a")
    make_task(task_id="b")
    assert _ids(staff_client.get(tasks_url(task_id="b"))) == {"b"}


@pytest.mark.parametrize("field", ["date_created", "date_started", "date_done"])
def test_date_filters_bound_both_ends(staff_client, make_task, task_result_model, field):
    base = timezone.now().replace(microsecond=0)
    for day in range(4):
        row = make_task(task_id=f"d{day}")
        task_result_model._default_manager.filter(pk=row.pk).update(
            **{field: base - datetime.timedelta(days=day)}
        )
    params = {
        f"{field}__gte": (base - datetime.timedelta(days=2)).isoformat(),
        f"{field}__lte": (base - datetime.timedelta(days=1)).isoformat(),
    }
    assert _ids(staff_client.get(tasks_url(**params))) == {"d1", "d2"}


def test_date_filter_accepts_z_suffix(staff_client, make_task):
    make_task(task_id="a")
    assert _ids(staff_client.get(tasks_url(date_created__gte="2000-01-01T00:00:00Z"))) == {"a"}


# Extra fields of the custom model


def test_foreign_key_filter_by_primary_key(staff_client, custom_model, make_task, tenants):
    make_task(task_id="a", tenant=tenants[0])
    make_task(task_id="b", tenant=tenants[1])
    assert _ids(staff_client.get(tasks_url(tenant=tenants[1].pk))) == {"b"}


def test_foreign_key_in_filter(staff_client, custom_model, make_task, tenants):
    for index, tenant in enumerate(tenants):
        make_task(task_id=f"t{index}", tenant=tenant)
    value = f"{tenants[0].pk},{tenants[2].pk}"
    assert _ids(staff_client.get(tasks_url(tenant__in=value))) == {"t0", "t2"}


def test_foreign_key_filter_never_queries_the_related_table(
    staff_client, custom_model, make_task, tenants
):
    with CaptureQueriesContext(connection) as queries:
        staff_client.get(tasks_url(tenant__in="1,2,999"))
    assert not [q for q in queries.captured_queries if "testapp_tenant" in q["sql"]]


def test_choices_filter(staff_client, custom_model, make_task):
    make_task(task_id="a", priority="low")
    make_task(task_id="b", priority="high")
    assert _ids(staff_client.get(tasks_url(priority="high"))) == {"b"}


def test_choices_in_filter(staff_client, custom_model, make_task):
    make_task(task_id="a", priority="low")
    make_task(task_id="b", priority="high")
    make_task(task_id="c", priority="normal")
    assert _ids(staff_client.get(tasks_url(priority__in="low,normal"))) == {"a", "c"}


def test_number_filters(staff_client, custom_model, make_task):
    for attempt in range(5):
        make_task(task_id=f"a{attempt}", attempt=attempt)
    assert _ids(staff_client.get(tasks_url(attempt=3))) == {"a3"}
    assert _ids(staff_client.get(tasks_url(attempt__in="0,4"))) == {"a0", "a4"}
    assert _ids(staff_client.get(tasks_url(attempt__gte=2, attempt__lte=3))) == {"a2", "a3"}


def test_filters_combine(staff_client, custom_model, make_task, tenants):
    make_task(task_id="a", tenant=tenants[0], status="FAILURE")
    make_task(task_id="b", tenant=tenants[0], status="SUCCESS")
    make_task(task_id="c", tenant=tenants[1], status="FAILURE")
    response = staff_client.get(tasks_url(tenant=tenants[0].pk, status="FAILURE"))
    assert _ids(response) == {"a"}


# Generated filter sets


def test_filterset_has_the_filters_of_each_extra_field_kind(custom_model):
    names = set(get_task_filterset_class(custom_model).base_filters)
    assert {"tenant", "tenant__in"} <= names
    assert {"priority", "priority__in"} <= names
    assert {"attempt", "attempt__in", "attempt__gte", "attempt__lte"} <= names
    assert "tenant__icontains" not in names


def test_filterset_is_named_after_the_model_and_cached(custom_model):
    filterset = get_task_filterset_class(custom_model)
    assert filterset.__name__ == "TaskResultFilterSet"
    assert filterset._meta.model is custom_model
    assert issubclass(filterset, TaskResultFilterSet)
    assert get_task_filterset_class(custom_model) is filterset


def test_filterset_cache_is_cleared_when_results_api_changes(custom_model, settings):
    before = get_task_filterset_class(custom_model)
    settings.RESULTS_API = {"EXCLUDE_FIELDS": ["attempt"]}
    after = get_task_filterset_class(custom_model)
    assert after is not before
    assert "attempt" not in after.base_filters


def test_filterset_base_class_comes_from_settings(custom_model, settings):
    settings.RESULTS_API = {"TASK_FILTERSET_CLASS": "tests.results_api.test_filters.MyFilterSet"}
    filterset = get_task_filterset_class(custom_model)
    assert issubclass(filterset, MyFilterSet)
    assert {"only_failed", "tenant", "status"} <= set(filterset.base_filters)


def test_subclassed_filterset_filter_is_usable_over_http(
    staff_client, custom_model, make_task, settings
):
    settings.RESULTS_API = {"TASK_FILTERSET_CLASS": "tests.results_api.test_filters.MyFilterSet"}
    make_task(task_id="a", status="FAILURE")
    make_task(task_id="b", status="SUCCESS")
    assert _ids(staff_client.get(tasks_url(only_failed="true"))) == {"a"}


def test_a_filter_read_from_two_parameters_applies_with_lenient_parameters(
    staff_client, custom_model, make_task, settings
):
    settings.RESULTS_API = {
        "TASK_FILTERSET_CLASS": "tests.results_api.test_filters.MyFilterSet",
        "STRICT_QUERY_PARAMS": False,
    }
    make_task(task_id="late")
    early = make_task(task_id="early")
    type(early)._default_manager.filter(pk=early.pk).update(
        date_done=timezone.now() - datetime.timedelta(days=3)
    )
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    assert _ids(staff_client.get(tasks_url(done_after=since))) == {"late"}


def test_only_the_filters_a_request_names_are_built(custom_model):
    filterset = narrow_filterset(get_task_filterset_class(custom_model), ["status", "page_size"])
    assert set(filterset.base_filters) == {"status"}
    assert narrow_filterset(get_task_filterset_class(custom_model), ["status"]) is filterset


def test_a_filter_set_that_filters_without_parameters_applies_to_every_request(
    staff_client, custom_model, make_task, settings
):
    settings.RESULTS_API = {
        "TASK_FILTERSET_CLASS": "tests.results_api.test_filters.SuccessesOnlyFilterSet"
    }
    make_task(task_id="ok", status="SUCCESS")
    make_task(task_id="failed", status="FAILURE")

    assert _ids(staff_client.get(tasks_url())) == {"ok"}
    assert staff_client.get("/api/results/tasks/failed/").status_code == 404


def test_the_filter_form_is_built_once_per_filter_set(custom_model):
    filterset_class = narrow_filterset(get_task_filterset_class(custom_model), ["status"])
    first = filterset_class(QueryDict("status=SUCCESS")).form
    second = filterset_class(QueryDict("status=FAILURE")).form
    assert type(first) is type(second)
    assert (first.is_valid(), second.is_valid()) == (True, True)
    assert second.cleaned_data["status"] == "FAILURE"


def test_the_filter_form_speaks_the_language_of_each_request(custom_model):
    name = "date_done__gte"
    filterset_class = narrow_filterset(get_task_filterset_class(custom_model), [name])
    labels = {}
    for language in ("es", "en", "es"):
        with translation.override(language):
            form = filterset_class(QueryDict(f"{name}=2026-01-01T00:00:00Z")).form
            labels.setdefault(language, set()).add(str(form.fields[name].label))
    assert all(len(seen) == 1 for seen in labels.values())
    assert labels["es"] != labels["en"]


def test_a_filter_set_whose_form_refuses_no_parameters_still_refuses_them(
    staff_client, custom_model, settings
):
    settings.RESULTS_API = {
        "TASK_FILTERSET_CLASS": "tests.results_api.test_filters.RangeRequiredFilterSet"
    }

    response = staff_client.get(tasks_url())

    assert response.status_code == 400
    assert "date range" in response.content.decode()


def test_a_filter_whose_choices_depend_on_the_request_gets_its_form_per_request(custom_model):
    seen = []

    def tenants(request):
        seen.append(request)
        return custom_model._meta.get_field("tenant").related_model.objects.all()

    class ByRequestFilterSet(TaskResultFilterSet):
        owner = filters.ModelChoiceFilter(field_name="tenant", queryset=tenants)

        class Meta:
            model = custom_model
            fields = ["status"]

    first = ByRequestFilterSet(QueryDict(), request="first").form
    second = ByRequestFilterSet(QueryDict(), request="second").form
    assert type(first) is not type(second)
    assert seen == ["first", "second"]


class RangeRequiredForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("date_done__gte"):
            raise forms.ValidationError("Give a date range.")
        return cleaned


class RangeRequiredFilterSet(TaskResultFilterSet):
    """A project's filter set whose form asks for a date range on every request."""

    class Meta:
        form = RangeRequiredForm


class SuccessesOnlyFilterSet(TaskResultFilterSet):
    """A project's filter set that hides failures whatever the request asks."""

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset).filter(status="SUCCESS")


class MyFilterSet(TaskResultFilterSet):
    """A project's own base filter set, with one more filter and a range read from two params."""

    only_failed = filters.BooleanFilter(method="filter_only_failed")
    done = filters.IsoDateTimeFromToRangeFilter(field_name="date_done")

    def filter_only_failed(self, queryset, name, value):
        return queryset.filter(status="FAILURE") if value else queryset


@isolate_apps("tests.testapp")
def test_filters_of_boolean_date_float_and_json_fields():
    class KindsTaskResult(AbstractTaskResult):
        flag = models.BooleanField(default=False)
        due = models.DateField(null=True)
        deadline = models.DateTimeField(null=True)
        ratio = models.FloatField(null=True)
        label = models.TextField(null=True)
        data = models.JSONField(null=True)
        blob = models.BinaryField(null=True)

        class Meta(AbstractTaskResult.Meta):
            app_label = "testapp"

    names = set(get_task_filterset_class(KindsTaskResult).base_filters)
    assert "flag" in names
    assert {"due__gte", "due__lte", "deadline__gte", "deadline__lte"} <= names
    assert "due" not in names
    assert {"ratio", "ratio__in", "ratio__gte", "ratio__lte"} <= names
    assert {"label", "label__in", "label__icontains"} <= names
    assert not {name for name in names if name.startswith(("data", "blob"))}


@isolate_apps("tests.testapp")
@pytest.mark.parametrize(
    ("query", "valid"),
    [
        ("flag=true", True),
        ("flag=0", True),
        ("flag=maybe", False),
        ("due__gte=2024-01-31", True),
        ("due__gte=2024-02-31", False),
        ("deadline__lte=2024-01-31T10:00:00Z", True),
        ("deadline__lte=noon", False),
    ],
)
def test_boolean_and_date_filters_validate_their_values(query, valid):
    class KindsTaskResult(AbstractTaskResult):
        flag = models.BooleanField(default=False)
        due = models.DateField(null=True)
        deadline = models.DateTimeField(null=True)

        class Meta(AbstractTaskResult.Meta):
            app_label = "testapp"

    filterset = get_task_filterset_class(KindsTaskResult)
    form = filterset(QueryDict(query), queryset=KindsTaskResult.objects.none())
    assert form.is_valid() is valid, form.errors


def test_task_id_prefix_filter(staff_client, make_task):
    make_task(task_id="abc-1")
    make_task(task_id="abd-2")
    make_task(task_id="xabc-3")
    assert task_ids(staff_client.get(tasks_url(task_id__startswith="abc"))) == ["abc-1"]


def test_task_id_in_filter(staff_client, make_task):
    for task_id in ("one", "two", "three"):
        make_task(task_id=task_id)
    response = staff_client.get(tasks_url(task_id__in="one,three,nobody"))
    assert sorted(task_ids(response)) == ["one", "three"]


def test_task_name_contains_filter_ignores_case(staff_client, make_task):
    make_task(task_id="report", task_name="reports.Build_PDF")
    make_task(task_id="mail", task_name="emails.send")
    assert task_ids(staff_client.get(tasks_url(task_name__icontains="build_pdf"))) == ["report"]
