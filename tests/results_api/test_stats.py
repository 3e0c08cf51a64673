"""tasks/stats/: counts and runtimes per group and time bucket, in one query."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext, isolate_apps
from django.urls import reverse
from django.utils import timezone

from django_celery_results.models import get_task_result_model
from django_celery_results.models.abstract import AbstractTaskResult
from results_api.stats.queries import DURATION_AGGREGATES, SEEN_AGGREGATES, group_by_fields

from .conftest import _with_query

ON_POSTGRES = connection.vendor == "postgresql"


def stats_url(**params) -> str:
    return _with_query(reverse("results_api:task-stats"), params)


def _stats(client, **params) -> dict:
    response = client.get(stats_url(**params))
    assert response.status_code == 200, response.content
    return response.json()


def _set(row, **values) -> None:
    get_task_result_model()._default_manager.filter(pk=row.pk).update(**values)


@pytest.fixture
def tenant_tasks(custom_model, make_task, tenants):
    """Tasks of two tenants: acme 2 SUCCESS + 1 FAILURE, globex 1 SUCCESS."""
    acme, globex, _ = tenants
    make_task(task_id="a1", tenant=acme, status="SUCCESS", priority="high")
    make_task(task_id="a2", tenant=acme, status="SUCCESS", priority="low")
    make_task(task_id="a3", tenant=acme, status="FAILURE", priority="low")
    make_task(task_id="g1", tenant=globex, status="SUCCESS", priority="low")
    return tenants


def test_stats_url():
    assert reverse("results_api:task-stats") == "/api/results/tasks/stats/"


def test_stats_without_group_by_counts_everything(staff_client, make_task):
    for _ in range(3):
        make_task()
    body = _stats(staff_client)
    assert body["group_by"] == []
    assert body["interval"] is None
    assert [row["count"] for row in body["results"]] == [3]


def test_stats_group_by_status(staff_client, make_task):
    for status in ("SUCCESS", "SUCCESS", "FAILURE"):
        make_task(status=status)
    rows = _stats(staff_client, group_by="status")["results"]
    assert {row["status"]: row["count"] for row in rows} == {"SUCCESS": 2, "FAILURE": 1}


@pytest.mark.parametrize("field", ["task_name", "worker", "periodic_task_name"])
def test_stats_group_by_standard_field(staff_client, make_task, field):
    make_task(**{field: "x"})
    make_task(**{field: "x"})
    make_task(**{field: "y"})
    rows = _stats(staff_client, group_by=field)["results"]
    assert {row[field]: row["count"] for row in rows} == {"x": 2, "y": 1}


def test_stats_group_by_foreign_key_groups_by_its_key(staff_client, tenant_tasks):
    acme, globex, _ = tenant_tasks
    rows = _stats(staff_client, group_by="tenant")["results"]
    assert {row["tenant"]: row["count"] for row in rows} == {acme.pk: 3, globex.pk: 1}


def test_stats_group_by_two_fields(staff_client, tenant_tasks):
    acme, globex, _ = tenant_tasks
    rows = _stats(staff_client, group_by="status,tenant")["results"]
    counts = {(row["status"], row["tenant"]): row["count"] for row in rows}
    assert counts == {("FAILURE", acme.pk): 1, ("SUCCESS", acme.pk): 2, ("SUCCESS", globex.pk): 1}


def test_stats_group_by_choices_and_number_fields(staff_client, tenant_tasks):
    rows = _stats(staff_client, group_by="priority")["results"]
    assert {row["priority"]: row["count"] for row in rows} == {"high": 1, "low": 3}
    rows = _stats(staff_client, group_by="attempt")["results"]
    assert [(row["attempt"], row["count"]) for row in rows] == [(None, 4)]


def test_stats_are_filtered_like_the_list(staff_client, tenant_tasks):
    acme = tenant_tasks[0]
    rows = _stats(staff_client, group_by="status", tenant=acme.pk, priority__in="low")["results"]
    assert {row["status"]: row["count"] for row in rows} == {"SUCCESS": 1, "FAILURE": 1}


def test_stats_never_count_rows_outside_the_scope(tenant_tasks, settings):
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.own_tenant_only"
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("globex", is_staff=True))
    rows = _stats(client, group_by="tenant")["results"]
    assert [(row["tenant"], row["count"]) for row in rows] == [(tenant_tasks[1].pk, 1)]
    rows = _stats(client, group_by="status", tenant=tenant_tasks[0].pk)["results"]
    assert rows == []


def test_stats_need_the_same_permissions(anonymous_client, db):
    assert anonymous_client.get(stats_url()).status_code in (401, 403)


def test_stats_runtime_aggregates_in_seconds(staff_client, make_task):
    for seconds in (1, 2, 3, 10):
        row = make_task(status="SUCCESS")
        _set(row, date_started=row.date_done - datetime.timedelta(seconds=seconds))
    running = make_task(status="STARTED")
    _set(running, date_started=running.date_done - datetime.timedelta(seconds=100))
    row = _stats(staff_client, status="SUCCESS")["results"][0]
    assert row["count"] == 4
    assert row["runtime_avg"] == pytest.approx(4.0)
    assert row["runtime_max"] == pytest.approx(10.0)
    if ON_POSTGRES:
        assert row["runtime_p50"] == pytest.approx(2.5)
        assert row["runtime_p95"] == pytest.approx(8.95)
    else:
        assert row["runtime_p50"] is row["runtime_p95"] is None


def test_stats_runtime_ignores_unfinished_tasks(staff_client, make_task):
    running = make_task(status="STARTED")
    _set(running, date_started=running.date_done - datetime.timedelta(seconds=100))
    row = _stats(staff_client)["results"][0]
    assert row["count"] == 1
    assert row["runtime_avg"] is row["runtime_max"] is None


def test_stats_interval_buckets_by_date_done(staff_client, make_task):
    base = (timezone.now() - datetime.timedelta(hours=4)).replace(minute=0, second=0, microsecond=0)
    for offset in (10, 20, 70, 130):  # minutes after base
        row = make_task()
        _set(row, date_done=base + datetime.timedelta(minutes=offset))
    body = _stats(staff_client, interval="hour", date_done__gte=base.isoformat())
    assert body["interval"] == "hour"
    buckets = [(row["bucket"], row["count"]) for row in body["results"]]
    expected = [base + datetime.timedelta(hours=hours) for hours in (0, 1, 2)]
    assert [datetime.datetime.fromisoformat(b.replace("Z", "+00:00")) for b, _ in buckets] == (
        expected
    )
    assert [count for _, count in buckets] == [2, 1, 1]


def test_stats_interval_combines_with_group_by(staff_client, make_task):
    base = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(minutes=5)
    for status, minute in (("SUCCESS", 0), ("FAILURE", 0), ("SUCCESS", 1), ("SUCCESS", 1)):
        row = make_task(status=status)
        _set(row, date_done=base + datetime.timedelta(minutes=minute, seconds=5))
    body = _stats(staff_client, group_by="status", interval="minute", date_done__gte=base)
    counts = [(row["status"], row["count"]) for row in body["results"]]
    assert counts == [("FAILURE", 1), ("SUCCESS", 1), ("SUCCESS", 2)]


def test_stats_interval_in_the_project_time_zone(staff_client, make_task, settings):
    settings.TIME_ZONE = "Asia/Kolkata"  # UTC+05:30: day buckets start at 18:30 UTC
    row = make_task()
    _set(row, date_done=datetime.datetime(2024, 5, 1, 20, 0, tzinfo=datetime.timezone.utc))
    body = _stats(
        staff_client,
        interval="day",
        date_done__gte="2024-04-30T00:00:00Z",
        date_done__lte="2024-05-03T00:00:00Z",
    )
    bucket = datetime.datetime.fromisoformat(body["results"][0]["bucket"])
    assert bucket.astimezone(datetime.timezone.utc) == datetime.datetime(
        2024, 5, 1, 18, 30, tzinfo=datetime.timezone.utc
    )


def test_stats_query_is_one_query(staff_client, tenant_tasks):
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(
            stats_url(group_by="status,tenant", interval="hour", date_done__gte="2000-01-01T00:00Z")
        )
    assert response.status_code == 400  # far too many hourly buckets: refused before any query
    assert len(queries.captured_queries) == 0
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(stats_url(group_by="status,tenant", interval="day"))
    assert response.status_code == 400  # interval without a start
    since = (timezone.now() - datetime.timedelta(days=2)).isoformat()
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(
            stats_url(group_by="status,tenant", interval="hour", date_done__gte=since)
        )
    assert response.status_code == 200
    # One aggregate query over the tasks, and the look-up of the rollup's state (not built).
    table = get_task_result_model()._meta.db_table
    on_tasks = [query for query in queries.captured_queries if table in query["sql"]]
    assert len(on_tasks) == 1
    assert len(queries.captured_queries) == 2


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("group_by", "nope"),
        ("group_by", "status,result"),
        ("group_by", "task_id"),
        ("interval", "week"),
        ("ordering", "status"),
        ("cursor", "x"),
        ("status", "DANCING"),
    ],
)
def test_stats_bad_parameter_is_400_naming_it(staff_client, make_task, param, value):
    make_task()
    response = staff_client.get(stats_url(**{param: value}))
    assert response.status_code == 400
    assert param in response.json(), response.json()


def test_stats_too_many_buckets_is_400_naming_interval(staff_client, make_task, settings):
    settings.RESULTS_API = {"STATS_MAX_BUCKETS": 10}
    make_task()
    since = (timezone.now() - datetime.timedelta(hours=11)).isoformat()
    response = staff_client.get(stats_url(interval="hour", date_done__gte=since))
    assert response.status_code == 400
    assert "interval" in response.json()
    since = (timezone.now() - datetime.timedelta(hours=5)).isoformat()
    assert staff_client.get(stats_url(interval="hour", date_done__gte=since)).status_code == 200


def test_stats_interval_without_a_start_is_400_naming_date_done_gte(staff_client, db):
    response = staff_client.get(stats_url(interval="day"))
    assert response.status_code == 400
    assert "date_done__gte" in response.json()


def test_group_by_fields_of_the_custom_model(custom_model):
    assert group_by_fields(custom_model) == (
        "status",
        "task_name",
        "worker",
        "periodic_task_name",
        "exc_type",
        "exc_pattern",
        "tenant",
        "priority",
        "attempt",
    )


@isolate_apps("tests.testapp")
def test_free_text_and_json_extra_fields_are_not_groupable():
    class TextTaskResult(AbstractTaskResult):
        label = models.CharField(max_length=20, null=True)
        data = models.JSONField(null=True)
        flag = models.BooleanField(default=False)

        class Meta(AbstractTaskResult.Meta):
            app_label = "testapp"

    assert group_by_fields(TextTaskResult)[-1:] == ("flag",)
    assert not {"label", "data"} & set(group_by_fields(TextTaskResult))


def test_excluded_field_is_not_groupable(staff_client, tenant_tasks, settings):
    settings.RESULTS_API = {"EXCLUDE_FIELDS": ["tenant"]}
    response = staff_client.get(stats_url(group_by="tenant"))
    assert response.status_code == 400
    assert "group_by" in response.json()


def test_a_stats_row_holds_only_the_keys_it_groups_by(staff_client, make_task):
    make_task(status="SUCCESS")

    (row,) = _stats(staff_client, group_by="status")["results"]

    assert set(row) == {"status", "count", "failures", *SEEN_AGGREGATES, *DURATION_AGGREGATES}
