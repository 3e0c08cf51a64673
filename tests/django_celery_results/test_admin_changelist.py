"""The admin changelist costs the same at any size: bounded queries, no table scans."""

import datetime

import pytest
from celery import states
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from django_celery_results import admin_changelist
from django_celery_results.models import get_task_result_model

pytestmark = pytest.mark.django_db


def changelist_url():
    opts = get_task_result_model()._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def store(task_result_model, count, *, prefix="t", tenant=None, **values):
    now = timezone.now()
    task_result_model.objects.bulk_create(
        task_result_model(
            task_id=f"{prefix}-{number:05d}",
            task_name=values.get("task_name", "app.tasks.add"),
            status=values.get("status", states.SUCCESS),
            worker="celery@w1",
            date_done=now - datetime.timedelta(seconds=number),
            **({"tenant": tenant} if tenant else {}),
        )
        for number in range(count)
    )


def changelist_queries(admin_client, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(changelist_url(), params or {})
    assert response.status_code == 200
    return response, [query["sql"] for query in captured.captured_queries]


def test_the_number_of_queries_does_not_grow_with_the_rows_on_a_page(
    admin_client, task_result_model, request
):
    extra = {}
    if "tenant" in {field.name for field in task_result_model.extra_fields()}:
        extra["tenant"] = request.getfixturevalue("tenant")
    store(task_result_model, 3, prefix="few", **extra)
    _, few = changelist_queries(admin_client)
    store(task_result_model, 60, prefix="many", **extra)

    _, many = changelist_queries(admin_client)

    assert len(many) == len(few)


def test_drawing_the_changelist_reads_no_distinct_values_and_counts_with_a_limit(
    admin_client, task_result_model
):
    store(task_result_model, 5)

    _, queries = changelist_queries(admin_client)

    table = task_result_model._meta.db_table
    on_table = [sql for sql in queries if table in sql]
    assert not any("DISTINCT" in sql.upper() for sql in on_table)
    counts = [sql for sql in on_table if "COUNT(" in sql.upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts)


def test_a_filtered_list_past_the_count_limit_says_more_than(
    admin_client, task_result_model, monkeypatch
):
    monkeypatch.setattr(admin_changelist, "COUNT_LIMIT", 3)
    store(task_result_model, 5, status=states.FAILURE)

    response, _ = changelist_queries(admin_client, {"status": states.FAILURE})

    assert "More than 3: the count stops there." in response.content.decode()


@pytest.mark.postgres
def test_an_unfiltered_list_on_postgresql_shows_the_estimate_labelled_as_one(
    admin_client, task_result_model, monkeypatch
):
    monkeypatch.setattr(admin_changelist, "COUNT_LIMIT", 3)
    store(task_result_model, 40)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {task_result_model._meta.db_table}")

    response, queries = changelist_queries(admin_client)

    assert "About 40: an estimate from the database" in (response.content.decode())
    assert any("reltuples" in sql for sql in queries)


def test_search_finds_a_task_by_its_whole_id_or_its_beginning(admin_client, task_result_model):
    store(task_result_model, 3, prefix="abc")
    store(task_result_model, 2, prefix="xabc")

    whole, _ = changelist_queries(admin_client, {"q": "abc-00001"})
    prefix, _ = changelist_queries(admin_client, {"q": "abc-"})

    assert [row.task_id for row in whole.context["cl"].result_list] == ["abc-00001"]
    found = sorted(row.task_id for row in prefix.context["cl"].result_list)
    assert found == ["abc-00000", "abc-00001", "abc-00002"]


@pytest.mark.postgres
def test_search_by_task_id_reads_the_unique_index(admin_client, task_result_model):
    store(task_result_model, 50, prefix="abc")
    table = task_result_model._meta.db_table
    queryset = admin_changelist.search_by_id_prefix(
        task_result_model.objects.all(), "task_id", "abc-0001"
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Seq Scan" not in plan, plan
    assert f"{table}_task_id" in plan, plan


def test_the_status_filter_offers_celerys_states_without_a_query(admin_client, task_result_model):
    store(task_result_model, 2, status=states.FAILURE)

    response, _ = changelist_queries(admin_client, {"status": states.FAILURE})

    status_filter = next(
        spec for spec in response.context["cl"].filter_specs if spec.parameter_name == "status"
    )
    assert {value for value, _ in status_filter.lookup_choices} == states.ALL_STATES
    assert len(response.context["cl"].result_list) == 2


def test_a_text_filter_offers_the_values_of_the_most_recent_results(
    admin_client, task_result_model, monkeypatch
):
    monkeypatch.setattr(admin_changelist, "RECENT_ROWS", 2)
    store(task_result_model, 2, prefix="new", task_name="app.tasks.new")
    old = task_result_model.objects.create(
        task_id="old", task_name="app.tasks.old", status=states.SUCCESS
    )
    task_result_model.objects.filter(pk=old.pk).update(
        date_done=timezone.now() - datetime.timedelta(days=3)
    )

    response, _ = changelist_queries(admin_client)
    picked, _ = changelist_queries(admin_client, {"task_name": "app.tasks.old"})

    def offered(response):
        spec = next(
            spec
            for spec in response.context["cl"].filter_specs
            if getattr(spec, "lookup_kwarg", None) == "task_name"
        )
        return list(spec.lookup_choices)

    assert offered(response) == ["app.tasks.new"]
    assert offered(picked) == ["app.tasks.new", "app.tasks.old"]
    assert [row.task_id for row in picked.context["cl"].result_list] == ["old"]


@pytest.mark.swapped
def test_a_foreign_key_filter_offers_the_related_rows_of_recent_results(
    admin_client, task_result_model, monkeypatch
):
    from tests.testapp.models import Tenant

    monkeypatch.setattr(admin_changelist, "RECENT_ROWS", 2)
    recent, old, unused = (Tenant.objects.create(name=name) for name in ("new", "old", "none"))
    store(task_result_model, 2, prefix="new", tenant=recent)
    store(task_result_model, 1, prefix="old", tenant=old)
    task_result_model.objects.filter(tenant=old).update(
        date_done=timezone.now() - datetime.timedelta(days=3)
    )

    response, _ = changelist_queries(admin_client)
    picked, _ = changelist_queries(admin_client, {"tenant__id__exact": old.pk})

    def offered(response):
        spec = next(
            spec
            for spec in response.context["cl"].filter_specs
            if getattr(spec, "field_path", None) == "tenant"
        )
        return [name for _, name in spec.lookup_choices]

    assert offered(response) == ["new"]
    assert offered(picked) == ["new", "old"]
    assert [row.task_id for row in picked.context["cl"].result_list] == ["old-00000"]
    assert unused.name not in offered(picked)


# A moment whose local time in the project's zone differs from UTC in hours and minutes.
DONE_AT = datetime.datetime(2026, 3, 1, 12, 34, 56, tzinfo=datetime.timezone.utc)


def stored_at(task_result_model, task_id, moment):
    row = task_result_model.objects.create(task_id=task_id, status=states.SUCCESS)
    task_result_model.objects.filter(pk=row.pk).update(date_done=moment)  # auto_now on save


def test_the_changelist_shows_each_task_ids_beginning_with_the_whole_id_on_hover(
    admin_client, task_result_model
):
    task_id = "5d9f8002-812f-ca8b-ffe0-9811c0133cc1"
    stored_at(task_result_model, task_id, DONE_AT)

    response, _ = changelist_queries(admin_client)

    assert f'<span class="nowrap" title="{task_id}">5d9f8002…</span>' in response.content.decode()


def test_the_changelist_shows_a_short_task_id_whole(admin_client, task_result_model):
    stored_at(task_result_model, "nightly-42", DONE_AT)

    response, _ = changelist_queries(admin_client)

    assert '<span class="nowrap">nightly-42</span>' in response.content.decode()


def test_the_changelist_shows_dates_to_the_second_in_the_projects_time_zone(
    admin_client, task_result_model, settings
):
    settings.TIME_ZONE = "Asia/Kolkata"
    stored_at(task_result_model, "t-1", DONE_AT)

    response, _ = changelist_queries(admin_client)

    assert "03/01/2026 18:04:56" in response.content.decode()


def test_the_changelist_writes_dates_as_the_active_language_does(
    admin_client, task_result_model, localised
):
    stored_at(task_result_model, "t-1", DONE_AT)

    response = admin_client.get(changelist_url(), HTTP_ACCEPT_LANGUAGE="ru")

    assert "01.03.2026 12:34:56" in response.content.decode()


def test_the_changelist_orders_by_the_done_column(admin_client, task_result_model):
    stored_at(task_result_model, "earlier", DONE_AT)
    stored_at(task_result_model, "later", DONE_AT + datetime.timedelta(seconds=1))
    done_column = (
        admin_client.get(changelist_url())
        .context["cl"]
        .list_display.index("date_done_to_the_second")
    )

    oldest_first, _ = changelist_queries(admin_client, {"o": str(done_column)})
    newest_first, _ = changelist_queries(admin_client, {"o": f"-{done_column}"})

    assert [row.task_id for row in oldest_first.context["cl"].result_list] == ["earlier", "later"]
    assert [row.task_id for row in newest_first.context["cl"].result_list] == ["later", "earlier"]
