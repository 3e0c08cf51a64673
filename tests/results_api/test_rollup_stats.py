"""tasks/stats/ from the rollup: the same counts and averages as the task table, across its head."""

from __future__ import annotations

import datetime
import importlib
import random
import types

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from django_celery_results.models import get_task_result_model
from results_api.models import RollupState, TaskResultRollup
from results_api.stats import histogram
from results_api.stats.rollups import ALL_STATUSES, roll_up

from .conftest import _with_query

ON_POSTGRES = connection.vendor == "postgresql"
# A fixed instant on the hour, so that the test's hours and days are the same on every run.
NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone.utc)
STATES = ["SUCCESS"] * 6 + ["FAILURE", "FAILURE", "REVOKED", "STARTED", "RETRY"]
ROLLUP_TABLE = TaskResultRollup._meta.db_table


@pytest.fixture
def history(custom_model, tenants):
    """400 results over three days for three tenants, in every state, with runtimes and waits."""
    pick = random.Random(14)
    rows, dones = [], []
    for number in range(400):
        done = NOW - datetime.timedelta(minutes=pick.randrange(3 * 24 * 60))
        dones.append(done)
        started = done - datetime.timedelta(milliseconds=pick.randrange(1, 60_000))
        created = started - datetime.timedelta(milliseconds=pick.randrange(0, 5_000))
        rows.append(
            custom_model(
                task_id=f"h-{number}",
                task_name=f"app.tasks.t{number % 3}",
                status=pick.choice(STATES),
                worker=f"celery@w{number % 2}",
                tenant=tenants[number % 3],
                priority=pick.choice(["low", "normal", "high"]),
                date_created=created,
                date_started=started if number % 7 else None,
                date_done=done,
            )
        )
    custom_model._default_manager.bulk_create(rows)
    # auto_now stamps date_done on save: put the generated instants back.
    for row, done in zip(rows, dones, strict=True):
        row.date_done = done
    custom_model._default_manager.bulk_update(rows, ["date_done"])
    return rows


def stats(client, **params) -> list[dict]:
    response = client.get(_with_query(reverse("results_api:task-stats"), params))
    assert response.status_code == 200, response.content
    return response.json()["results"]


def direct(client, settings, **params) -> list[dict]:
    settings.RESULTS_API = {**getattr(settings, "RESULTS_API", {}), "STATS_FROM_ROLLUPS": False}
    try:
        return stats(client, **params)
    finally:
        settings.RESULTS_API = {**settings.RESULTS_API, "STATS_FROM_ROLLUPS": True}


def assert_same(from_rollup: list[dict], from_tasks: list[dict]) -> None:
    """Counts, averages and maxima equal; percentiles within the histogram's bound (PostgreSQL)."""
    assert len(from_rollup) == len(from_tasks)
    for ours, theirs in zip(from_rollup, from_tasks, strict=True):
        assert ours["count"] == theirs["count"], (ours, theirs)
        for name in ("runtime_avg", "runtime_max", "wait_avg", "wait_max"):
            if name in theirs:
                # The databases average durations in whole microseconds.
                expected = theirs[name]
                assert ours[name] == (expected and pytest.approx(expected, abs=2e-6)), name
        for name in ("runtime_p50", "runtime_p95"):
            if theirs.get(name) is not None:
                assert ours[name] == pytest.approx(theirs[name], rel=histogram.RELATIVE_ERROR * 2)
        for name in ("first_seen", "last_seen"):
            assert ours[name] == theirs[name], name
        keys = (
            set(theirs) - {"count"} - {key for key in theirs if "_" in key and key != "task_name"}
        )
        assert {key: ours[key] for key in keys} == {key: theirs[key] for key in keys}


def read_queries(client, **params) -> tuple[list[dict], list[str]]:
    with CaptureQueriesContext(connection) as captured:
        rows = stats(client, **params)
    return rows, [query["sql"] for query in captured.captured_queries]


REQUESTS = [
    {"group_by": "status"},
    {"group_by": "status", "tenant": "TENANT"},
    {"group_by": "tenant", "status__in": "SUCCESS,FAILURE"},
    {"group_by": "priority"},
    {"group_by": "task_name,status"},
    {"group_by": "status", "interval": "hour", "date_done__gte": "2026-11-23T10:17:00Z"},
    {"group_by": "status", "interval": "day", "date_done__gte": "2026-11-21T10:17:00Z"},
    {"interval": "day", "date_done__gte": "2026-11-21T00:00:00Z", "tenant": "TENANT"},
    {"date_done__gte": "2026-11-22T03:31:00Z", "date_done__lte": "2026-11-23T20:05:00Z"},
    {},
]


def _params(request: dict, tenants) -> dict:
    return {key: tenants[1].pk if value == "TENANT" else value for key, value in request.items()}


@pytest.mark.parametrize("request_params", REQUESTS, ids=lambda params: "&".join(params) or "all")
def test_stats_from_the_rollup_equal_the_task_tables_across_its_head(
    staff_client, settings, history, tenants, request_params
):
    """The head falls mid-hour; results stored after it (and older RETRY/STARTED) come live."""
    roll_up(get_task_result_model(), until=NOW - datetime.timedelta(hours=7, minutes=55))
    late = history[0]
    get_task_result_model()._default_manager.create(
        task_id="stored-a-second-ago", status="SUCCESS", tenant=tenants[1], task_name="app.tasks.t1"
    )
    params = _params(request_params, tenants)
    if "interval" in params:
        params.setdefault("date_done__lte", timezone.now().isoformat())

    from_rollup, queries = read_queries(staff_client, **params)
    from_tasks = direct(staff_client, settings, **params)

    assert any(ROLLUP_TABLE in sql for sql in queries), "the rollup was not read"
    assert late.task_id  # the fixture's rows are there
    assert_same(from_rollup, from_tasks)


def test_a_result_stored_a_second_ago_is_counted(staff_client, history, custom_model):
    roll_up(custom_model)
    before = sum(row["count"] for row in stats(staff_client, group_by="status"))

    custom_model._default_manager.create(task_id="fresh", status="SUCCESS")

    after = sum(row["count"] for row in stats(staff_client, group_by="status"))
    assert after == before + 1


def test_a_run_that_commits_while_stats_are_read_counts_nothing_twice(
    staff_client, settings, history, custom_model
):
    roll_up(custom_model, until=NOW - datetime.timedelta(hours=5, minutes=10))
    moved = []

    def run_before_the_rollup_rows_are_read(execute, sql, params, many, context):
        if f"FROM {connection.ops.quote_name(ROLLUP_TABLE)}" in sql and not moved:
            moved.append(True)  # the state is read: the next run commits now
            roll_up(custom_model, until=NOW - datetime.timedelta(hours=1, minutes=5))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(run_before_the_rollup_rows_are_read):
        from_rollup = stats(staff_client, group_by="status,task_name")

    assert moved
    assert RollupState.objects.get().rolled_until == NOW - datetime.timedelta(hours=1, minutes=5)
    assert_same(from_rollup, direct(staff_client, settings, group_by="status,task_name"))


@pytest.mark.parametrize("statuses", ["SUCCESS,", ",", "SUCCESS,,FAILURE"])
def test_an_empty_status_in_a_list_counts_no_result_twice(
    staff_client, settings, history, custom_model, statuses
):
    roll_up(custom_model)
    params = {"group_by": "status", "status__in": statuses}

    assert_same(stats(staff_client, **params), direct(staff_client, settings, **params))


def test_a_request_starts_from_the_state_the_last_one_read(staff_client, history, custom_model):
    roll_up(custom_model, until=NOW - datetime.timedelta(hours=5, minutes=10))
    stats(staff_client, group_by="status")

    _rows, queries = read_queries(staff_client, group_by="status")

    state_table = connection.ops.quote_name(RollupState._meta.db_table)
    assert not [sql for sql in queries if sql.startswith(f"SELECT {state_table}")]


def test_a_run_between_two_requests_is_read_from_its_new_head(
    staff_client, settings, history, custom_model
):
    roll_up(custom_model, until=NOW - datetime.timedelta(hours=5, minutes=10))
    stats(staff_client, group_by="status,task_name")

    roll_up(custom_model, until=NOW - datetime.timedelta(hours=1, minutes=5))

    assert_same(
        stats(staff_client, group_by="status,task_name"),
        direct(staff_client, settings, group_by="status,task_name"),
    )


def test_a_second_run_adds_only_what_closed_since(staff_client, settings, history, custom_model):
    roll_up(custom_model, until=NOW - datetime.timedelta(days=1, minutes=3))
    roll_up(custom_model, until=NOW - datetime.timedelta(hours=2, minutes=40))
    roll_up(custom_model, until=NOW - datetime.timedelta(hours=2, minutes=40))

    assert_same(
        stats(staff_client, group_by="status,task_name"),
        direct(staff_client, settings, group_by="status,task_name"),
    )
    head = RollupState.objects.get().rolled_until
    assert head == NOW - datetime.timedelta(hours=2, minutes=40)


@pytest.mark.parametrize(
    "params",
    [
        {"group_by": "tenant,priority"},  # two dimensions
        {"group_by": "status", "task_name": "app.tasks.t1", "tenant": 1},  # two dimensions
        {"group_by": "status", "date_created__gte": "2026-11-22T00:00:00Z"},  # not a rollup field
        {"group_by": "attempt"},  # a number: not a dimension
    ],
)
def test_requests_the_rollup_cannot_answer_are_read_from_the_task_table(
    staff_client, settings, history, params
):
    roll_up(get_task_result_model())

    rows, queries = read_queries(staff_client, **params)

    assert not any(ROLLUP_TABLE in sql for sql in queries)
    assert rows == direct(staff_client, settings, **params)


def test_without_a_rollup_run_stats_come_from_the_task_table(staff_client, history):
    rows, queries = read_queries(staff_client, group_by="status")

    assert not any(ROLLUP_TABLE in sql for sql in queries)
    assert sum(row["count"] for row in rows) == len(history)


def test_a_changed_time_zone_is_not_read_until_the_rollup_is_built_again(
    staff_client, settings, history
):
    roll_up(get_task_result_model())
    settings.TIME_ZONE = "Asia/Kolkata"

    _, queries = read_queries(staff_client, group_by="status", interval="day",
                              date_done__gte="2026-11-21T00:00:00+05:30")  # fmt: skip
    assert not any(ROLLUP_TABLE in sql for sql in queries)

    roll_up(get_task_result_model())
    params = {
        "group_by": "status",
        "interval": "day",
        "date_done__gte": "2026-11-21T00:00:00+05:30",
    }
    params["date_done__lte"] = timezone.now().isoformat()
    rows, queries = read_queries(staff_client, **params)
    assert any(ROLLUP_TABLE in sql for sql in queries)
    assert_same(rows, direct(staff_client, settings, **params))


def test_the_management_command_backfills_and_rebuilds(staff_client, settings, history):
    call_command("rollup_task_results", until=(NOW - datetime.timedelta(hours=5)).isoformat())
    first = TaskResultRollup.objects.count()
    call_command("rollup_task_results", "--rebuild")

    assert first and TaskResultRollup.objects.count() >= first
    assert_same(
        stats(staff_client, group_by="status"), direct(staff_client, settings, group_by="status")
    )


def test_the_periodic_task_rolls_up(history):
    from results_api.tasks import rollup_task_results

    rollup_task_results.apply()

    assert RollupState.objects.get().rolled_until is not None


def exact_percentile(values: list[float], fraction: float) -> float:
    """PostgreSQL's percentile_cont: interpolate between the two nearest order statistics."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


@pytest.mark.parametrize("seed", range(20))
def test_histogram_percentiles_are_within_the_documented_bound(seed):
    pick = random.Random(seed)
    values = [pick.lognormvariate(0, 2) for _ in range(pick.randrange(1, 3000))]
    values += [0.0] * pick.randrange(3) + [-pick.random() for _ in range(pick.randrange(3))]
    first, second = histogram.Counter(), histogram.Counter()
    for number, value in enumerate(values):
        histogram.add(first if number % 2 else second, value)
    merged = first + second

    for fraction in (0.0, 0.05, 0.5, 0.95, 0.99, 1.0):
        ordered = sorted(values)
        position = fraction * (len(ordered) - 1)
        low = ordered[int(position)]
        high = ordered[min(int(position) + 1, len(ordered) - 1)]
        bound = histogram.RELATIVE_ERROR * max(abs(low), abs(high)) + 1e-12
        estimate = histogram.quantile(merged, fraction)
        assert abs(estimate - exact_percentile(values, fraction)) <= bound


def test_each_rollup_row_keeps_the_percentiles_of_its_histograms(history, custom_model):
    roll_up(custom_model)

    rows = TaskResultRollup.objects.exclude(runtime_histogram="")
    assert rows
    for row in rows:
        for name in ("runtime", "wait"):
            counts = histogram.loads(getattr(row, f"{name}_histogram"))
            assert [getattr(row, f"{name}_p50"), getattr(row, f"{name}_p95")] == (
                histogram.quantiles(counts, [0.5, 0.95])
            )


def test_each_bucket_has_a_row_of_every_final_status_together(history, custom_model):
    roll_up(custom_model)

    by_status: dict[tuple, int] = {}
    together: dict[tuple, int] = {}
    for row in TaskResultRollup.objects.all():
        key = (row.dimension, row.value, row.level, row.bucket)
        if row.status == ALL_STATUSES:
            together[key] = row.count
        else:
            by_status[key] = by_status.get(key, 0) + row.count
    assert together == by_status


@pytest.mark.parametrize(
    "params", [{}, {"interval": "hour", "date_done__gte": "2026-11-23T10:17:00Z"}]
)
def test_stats_without_status_read_only_the_rows_of_every_status_together(
    staff_client, settings, history, custom_model, params
):
    roll_up(custom_model)
    TaskResultRollup.objects.exclude(status=ALL_STATUSES).delete()
    if "interval" in params:
        params = {**params, "date_done__lte": timezone.now().isoformat()}

    assert_same(stats(staff_client, **params), direct(staff_client, settings, **params))


def test_upgrading_empties_the_rollup_for_the_next_run(staff_client, history, custom_model):
    from django.apps import apps

    migration = importlib.import_module("results_api.migrations.0002_packed_histograms")
    roll_up(custom_model)

    # What the data migration reads of its schema editor: the connection (SQLite's
    # editor cannot open inside the test's transaction).
    migration.forget_rollups(apps, types.SimpleNamespace(connection=connection))

    assert not TaskResultRollup.objects.exists() and not RollupState.objects.exists()
    rows, queries = read_queries(staff_client, group_by="status")
    assert not any(ROLLUP_TABLE in sql for sql in queries)
    assert sum(row["count"] for row in rows) == len(history)
