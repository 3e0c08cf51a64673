"""Endpoints: URLs, representation, permissions, the scope hook and parameter errors."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from rest_framework.pagination import PageNumberPagination
from rest_framework.test import APIClient

from .conftest import group_url, groups_url, task_ids, task_url, tasks_url

STAFF_ONLY = {"PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"]}


def _client_for(username: str, *, is_staff: bool = True) -> APIClient:
    user = get_user_model().objects.create_user(username, is_staff=is_staff)
    client = APIClient()
    client.force_authenticate(user)
    return client


# URLs


def test_urls_are_namespaced_results_api():
    assert reverse("results_api:task-list") == "/api/results/tasks/"
    assert reverse("results_api:task-detail", args=["abc"]) == "/api/results/tasks/abc/"
    assert reverse("results_api:group-list") == "/api/results/groups/"
    assert reverse("results_api:group-detail", args=["g"]) == "/api/results/groups/g/"


def test_task_detail_is_found_by_a_task_id_with_dots_and_dashes(staff_client, make_task):
    make_task(task_id="celery.chord_unlock-1.2-x")
    response = staff_client.get(task_url("celery.chord_unlock-1.2-x"))
    assert response.status_code == 200
    assert response.json()["task_id"] == "celery.chord_unlock-1.2-x"


def test_task_detail_of_an_unknown_id_is_404(staff_client, db):
    assert staff_client.get(task_url("nope")).status_code == 404


def test_api_is_read_only(staff_client, make_task):
    make_task(task_id="t-1")
    assert staff_client.post(tasks_url(), {}).status_code == 405
    assert staff_client.delete(task_url("t-1")).status_code == 405
    assert staff_client.put(task_url("t-1"), {}).status_code == 405


# Representation


def test_task_representation_has_the_standard_fields(staff_client, make_task):
    make_task(task_id="t-1")
    row = staff_client.get(task_url("t-1")).json()
    assert set(row) >= {
        "task_id",
        "task_name",
        "status",
        "worker",
        "periodic_task_name",
        "date_created",
        "date_started",
        "date_done",
        "runtime",
        "args",
        "kwargs",
        "result",
        "traceback",
        "meta",
        "content_type",
    }
    assert "id" not in row
    assert "content_encoding" not in row


def test_task_representation_has_every_extra_field_fk_as_its_key(
    staff_client, custom_model, make_task, tenants
):
    make_task(task_id="t-1", tenant=tenants[1], priority="high", attempt=2)
    row = staff_client.get(task_url("t-1")).json()
    assert (row["tenant"], row["priority"], row["attempt"]) == (tenants[1].pk, "high", 2)


def test_exclude_fields_hides_fields_from_representation_filters_and_ordering(
    staff_client, custom_model, make_task, tenants, settings
):
    settings.RESULTS_API = {"EXCLUDE_FIELDS": ["args", "traceback", "tenant", "worker"]}
    make_task(task_id="t-1", tenant=tenants[0])
    row = staff_client.get(task_url("t-1")).json()
    assert not {"args", "traceback", "tenant", "worker"} & set(row)
    assert "kwargs" in row
    assert "tenant" in staff_client.get(tasks_url(tenant=1)).json()
    assert "worker" in staff_client.get(tasks_url(worker="w")).json()
    assert "ordering" in staff_client.get(tasks_url(ordering="tenant")).json()


def test_exclude_fields_naming_an_unknown_field_is_a_configuration_error(db, settings):
    from django_celery_results.models import get_task_result_model
    from results_api.rest.serializers import get_task_serializer_class

    settings.RESULTS_API = {"EXCLUDE_FIELDS": ["no_such_field"]}
    with pytest.raises(ImproperlyConfigured, match="EXCLUDE_FIELDS"):
        get_task_serializer_class(get_task_result_model())


def test_group_representation(staff_client, make_group):
    make_group(group_id="g-1")
    row = staff_client.get(group_url("g-1")).json()
    assert set(row) == {"group_id", "date_created", "date_done", "result", "content_type"}
    assert row["result"] == [[["t1", None], None]]


def test_group_list_is_filtered_by_group_id(staff_client, make_group):
    make_group(group_id="g-1")
    make_group(group_id="g-2")
    rows = staff_client.get(groups_url(group_id="g-2")).json()["results"]
    assert [row["group_id"] for row in rows] == ["g-2"]


# Permissions


@pytest.mark.parametrize(
    "url", [tasks_url(), task_url("t-1"), groups_url(), group_url("g-1")], ids=str
)
def test_anonymous_user_is_denied(anonymous_client, make_task, make_group, url):
    make_task(task_id="t-1")
    make_group(group_id="g-1")
    assert anonymous_client.get(url).status_code in (401, 403)


@pytest.mark.parametrize(
    "url", [tasks_url(), task_url("t-1"), groups_url(), group_url("g-1")], ids=str
)
def test_non_staff_user_is_denied(make_task, make_group, url):
    make_task(task_id="t-1")
    make_group(group_id="g-1")
    assert _client_for("alice", is_staff=False).get(url).status_code == 403


@pytest.mark.parametrize(
    "url", [tasks_url(), task_url("t-1"), groups_url(), group_url("g-1")], ids=str
)
def test_staff_user_is_allowed(staff_client, make_task, make_group, url):
    make_task(task_id="t-1")
    make_group(group_id="g-1")
    assert staff_client.get(url).status_code == 200


def test_permission_classes_come_from_settings(make_task, settings):
    settings.RESULTS_API = {"PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]}
    make_task(task_id="t-1")
    assert _client_for("alice", is_staff=False).get(task_url("t-1")).status_code == 200
    assert APIClient().get(task_url("t-1")).status_code in (401, 403)


def test_denied_request_is_not_told_about_bad_parameters(anonymous_client, db):
    assert anonymous_client.get(tasks_url(stauts="x")).status_code in (401, 403)


# Scope hook


SCOPED = "tests.results_api.scopes.own_ids_only"


def test_scope_hook_narrows_task_list(make_task, settings):
    settings.CELERY_RESULTS_SCOPE_QUERYSET = SCOPED
    make_task(task_id="alice-1")
    make_task(task_id="bob-1")
    assert task_ids(_client_for("alice").get(tasks_url())) == ["alice-1"]


def test_scope_hook_makes_task_detail_outside_scope_404(make_task, settings):
    settings.CELERY_RESULTS_SCOPE_QUERYSET = SCOPED
    make_task(task_id="bob-1")
    client = _client_for("alice")
    assert client.get(task_url("bob-1")).status_code == 404
    assert _client_for("bob").get(task_url("bob-1")).status_code == 200


def test_scope_hook_narrows_group_list(make_group, settings):
    settings.CELERY_RESULTS_SCOPE_QUERYSET = SCOPED
    make_group(group_id="alice-g")
    make_group(group_id="bob-g")
    rows = _client_for("alice").get(groups_url()).json()["results"]
    assert [row["group_id"] for row in rows] == ["alice-g"]


def test_scope_hook_makes_group_detail_outside_scope_404(make_group, settings):
    settings.CELERY_RESULTS_SCOPE_QUERYSET = SCOPED
    make_group(group_id="bob-g")
    assert _client_for("alice").get(group_url("bob-g")).status_code == 404


def test_tenant_scope_hides_other_tenants_rows_even_when_filtered_by_their_key(
    custom_model, make_task, tenants, settings
):
    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.own_tenant_only"
    acme, globex, _ = tenants
    make_task(task_id="a-1", tenant=acme)
    make_task(task_id="g-1", tenant=globex)
    client = _client_for("acme")
    assert task_ids(client.get(tasks_url())) == ["a-1"]
    assert task_ids(client.get(tasks_url(tenant=globex.pk))) == []
    assert client.get(task_url("g-1")).status_code == 404


def test_fk_filter_gives_the_same_answer_for_a_missing_and_a_foreign_key(
    custom_model, make_task, tenants, settings
):
    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.own_tenant_only"
    _, globex, _ = tenants
    make_task(task_id="g-1", tenant=globex)
    client = _client_for("acme")
    foreign = client.get(tasks_url(tenant=globex.pk))
    missing = client.get(tasks_url(tenant=999_999))
    assert foreign.status_code == missing.status_code == 200
    assert foreign.json()["results"] == missing.json()["results"] == []


def test_scope_hook_returning_something_else_than_a_queryset_is_a_configuration_error(
    staff_client, db, settings
):
    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.not_a_queryset"
    with pytest.raises(ImproperlyConfigured, match="SCOPE_QUERYSET"):
        staff_client.get(tasks_url())


# Bad parameters: a 400 naming the parameter


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("status", "DANCING"),
        ("status__in", "SUCCESS,DANCING"),
        ("date_created__gte", "yesterday"),
        ("date_started__lte", "2024-13-01T00:00:00Z"),
        ("date_done__gte", "not-a-date"),
        ("ordering", "no_such_field"),
        ("ordering", "-task_args"),
        ("cursor", "garbage"),
        ("page_size", "0"),
        ("page_size", "501"),
        ("page_size", "ten"),
        ("stauts", "SUCCESS"),
    ],
)
def test_bad_parameter_is_400_naming_it(staff_client, make_task, param, value):
    make_task()
    response = staff_client.get(tasks_url(**{param: value}))
    assert response.status_code == 400
    assert param in response.json(), response.json()


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("tenant", "abc"),
        ("tenant__in", "1,abc"),
        ("priority", "urgent"),
        ("priority__in", "low,urgent"),
        ("attempt", "1.5"),
        ("attempt__gte", "many"),
        ("attempt__in", "1,x"),
    ],
)
def test_bad_extra_field_parameter_is_400_naming_it(
    staff_client, custom_model, make_task, param, value
):
    make_task()
    response = staff_client.get(tasks_url(**{param: value}))
    assert response.status_code == 400
    assert param in response.json(), response.json()


def test_unknown_parameter_is_400_on_the_detail_too(staff_client, make_task):
    make_task(task_id="t-1")
    response = staff_client.get(task_url("t-1", stauts="SUCCESS"))
    assert response.status_code == 400
    assert "stauts" in response.json()


def test_unknown_parameter_is_400_on_groups(staff_client, db):
    response = staff_client.get(groups_url(task_id="t"))
    assert response.status_code == 400
    assert "task_id" in response.json()


def test_repeated_parameter_is_400_naming_it(staff_client, db):
    response = staff_client.get(tasks_url() + "?status=SUCCESS&status=FAILURE")
    assert response.status_code == 400
    assert "status" in response.json()


def test_unknown_parameter_is_ignored_when_strict_query_params_is_off(
    staff_client, make_task, settings
):
    settings.RESULTS_API = {"STRICT_QUERY_PARAMS": False}
    make_task(task_id="t-1")
    assert task_ids(staff_client.get(tasks_url(stauts="DANCING"))) == ["t-1"]


def test_format_parameter_is_accepted(staff_client, make_task):
    make_task(task_id="t-1")
    assert task_ids(staff_client.get(tasks_url(format="json"))) == ["t-1"]


def test_another_pagination_class_brings_its_own_parameters(staff_client, make_task, settings):
    settings.RESULTS_API = {"PAGINATION_CLASS": "tests.results_api.test_views.PageNumbers"}
    for _ in range(3):
        make_task()
    body = staff_client.get(tasks_url(page=2, size=2)).json()
    assert body["count"] == 3
    assert len(body["results"]) == 1
    assert "cursor" in staff_client.get(tasks_url(cursor="x")).json()


class PageNumbers(PageNumberPagination):
    page_size_query_param = "size"


def test_an_unknown_format_is_a_400_naming_it(staff_client):
    response = staff_client.get(reverse("results_api:task-list"), {"format": "xml"})

    assert response.status_code == 400
    assert "format" in response.json()


@pytest.mark.parametrize("path", ["tasks/", "tasks/stats/", "groups/"])
def test_the_browsable_api_shows_no_raw_sphinx_markup(staff_client, path):
    from django.urls import reverse

    base = reverse("results_api:task-list").removesuffix("tasks/")
    page = staff_client.get(base + path, HTTP_ACCEPT="text/html").content.decode()

    assert ":mod:`" not in page and ":func:`" not in page and ":class:`" not in page
