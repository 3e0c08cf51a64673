"""?updated_since=: deltas for polling dashboards, with no change missed under concurrent writes."""

from __future__ import annotations

import datetime
import re
import threading
import time

import pytest
from celery import states
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from django_celery_results.models import get_task_result_model
from results_api.rest.live_updates import NEXT_UPDATED_SINCE, format_since

from .conftest import stats_url, task_ids, tasks_url

T0 = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)


def set_done(task_id: str, when: datetime.datetime) -> None:
    """Give a row its ``date_done`` (an UPDATE: ``auto_now`` would overwrite it on save)."""
    get_task_result_model()._default_manager.filter(task_id=task_id).update(date_done=when)


def poll(client: APIClient, since: str, **params) -> tuple[list[dict], str]:
    """Walk one delta as a dashboard does: every page; return the rows and the next since."""
    url = tasks_url(updated_since=since, **params)
    rows: list[dict] = []
    next_since = None
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        next_since = next_since or response[NEXT_UPDATED_SINCE]  # the first page's
        rows += response.json()["results"]
        url = response.json()["next"]
    return rows, next_since


def test_updated_since_returns_rows_done_at_or_after_it_less_the_overlap(
    staff_client, make_task, settings
):
    settings.RESULTS_API = {"UPDATED_SINCE_OVERLAP": 5}
    for name, offset in [("old", -10), ("overlap", -3), ("same", 0), ("new", 1)]:
        make_task(task_id=name)
        set_done(name, T0 + datetime.timedelta(seconds=offset))
    ids = task_ids(staff_client.get(tasks_url(updated_since=T0.isoformat())))
    assert ids == ["overlap", "same", "new"]


def test_updated_since_is_inclusive_with_no_overlap(staff_client, make_task, settings):
    settings.RESULTS_API = {"UPDATED_SINCE_OVERLAP": 0}
    make_task(task_id="before")
    set_done("before", T0 - datetime.timedelta(microseconds=1))
    make_task(task_id="same")
    set_done("same", T0)
    assert task_ids(staff_client.get(tasks_url(updated_since=T0.isoformat()))) == ["same"]


def test_a_delta_is_ordered_by_date_done_unless_told_otherwise(staff_client, make_task):
    for name, offset in [("b", 2), ("a", 1), ("c", 3)]:
        make_task(task_id=name)
        set_done(name, T0 + datetime.timedelta(seconds=offset))
    since = T0.isoformat()
    assert task_ids(staff_client.get(tasks_url(updated_since=since))) == ["a", "b", "c"]
    ordered = staff_client.get(tasks_url(updated_since=since, ordering="-task_id"))
    assert task_ids(ordered) == ["c", "b", "a"]


def test_updated_since_takes_the_other_filters(staff_client, make_task):
    make_task(task_id="failed", status="FAILURE")
    make_task(task_id="done", status="SUCCESS")
    since = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    response = staff_client.get(tasks_url(updated_since=since, status="FAILURE"))
    assert task_ids(response) == ["failed"]


def test_stats_take_updated_since(staff_client, make_task):
    make_task(task_id="old")
    set_done("old", T0 - datetime.timedelta(days=1))
    make_task(task_id="new")
    set_done("new", T0)
    body = staff_client.get(stats_url(updated_since=T0.isoformat())).json()
    assert body["results"][0]["count"] == 1


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "0"])
def test_a_bad_updated_since_is_a_400_naming_it(staff_client, value):
    response = staff_client.get(tasks_url(updated_since=value))
    assert response.status_code == 400
    assert set(response.json()) == {"updated_since"}


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00Z", "2024-01-01T00:00:00-23:59", "9999-12-31T23:59:59+14:00"]
)
def test_updated_since_at_the_edges_of_time_is_no_error(staff_client, make_task, value):
    make_task()
    assert staff_client.get(tasks_url(updated_since=value)).status_code == 200


def test_excluding_date_done_removes_updated_since(staff_client, settings):
    settings.RESULTS_API = {"EXCLUDE_FIELDS": ["date_done"]}
    response = staff_client.get(tasks_url(updated_since=T0.isoformat()))
    assert response.status_code == 400
    assert "updated_since" in response.json()


def test_the_task_list_says_where_the_next_poll_starts(staff_client):
    before = timezone.now()
    response = staff_client.get(tasks_url())
    next_since = parse_datetime(response[NEXT_UPDATED_SINCE])
    assert before <= next_since <= timezone.now()
    assert response[NEXT_UPDATED_SINCE].endswith("Z")


def test_next_updated_since_comes_with_a_304_too(staff_client):
    etag = staff_client.get(tasks_url())["ETag"]
    response = staff_client.get(tasks_url(), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert parse_datetime(response[NEXT_UPDATED_SINCE])


# The dashboard's loop: what it must not miss


def test_a_row_written_in_the_same_instant_as_the_poll_began_is_in_the_next_poll(
    staff_client, make_task, settings
):
    settings.RESULTS_API = {"UPDATED_SINCE_OVERLAP": 0}
    _, since = poll(staff_client, format_since(T0))
    make_task(task_id="twin")  # stamped the instant the poll began, committed after it
    set_done("twin", parse_datetime(since))
    rows, _ = poll(staff_client, since)
    assert [row["task_id"] for row in rows] == ["twin"]


@pytest.mark.parametrize(("overlap", "caught"), [(5, True), (0, False)])
def test_a_write_committed_after_the_poll_began_is_caught_by_the_overlap(
    staff_client, make_task, settings, overlap, caught
):
    settings.RESULTS_API = {"UPDATED_SINCE_OVERLAP": overlap}
    _, since = poll(staff_client, format_since(T0))
    # A slow transaction (or a lock wait, or a lagging worker clock): stamped 2 s
    # before the poll began, committed after it.
    make_task(task_id="slow")
    set_done("slow", parse_datetime(since) - datetime.timedelta(seconds=2))
    rows, _ = poll(staff_client, since)
    assert ("slow" in [row["task_id"] for row in rows]) is caught


def test_a_row_that_changes_during_a_walk_is_read_again_on_a_later_page(staff_client, make_task):
    for number in range(6):
        make_task(task_id=f"t{number}")
        set_done(f"t{number}", T0 + datetime.timedelta(seconds=number))
    first_page = staff_client.get(tasks_url(updated_since=format_since(T0), page_size=3)).json()
    assert [row["task_id"] for row in first_page["results"]] == ["t0", "t1", "t2"]
    set_done("t0", T0 + datetime.timedelta(seconds=10))  # t0 changes after being read
    url, rest = first_page["next"], []
    while url:
        page = staff_client.get(url).json()
        rest += [row["task_id"] for row in page["results"]]
        url = page["next"]
    assert rest == ["t3", "t4", "t5", "t0"]


# The task ids of the writers below.
OWN = r"^(quick|late)-[0-9]+$"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_polling_deltas_during_concurrent_writes_misses_no_change(staff_user, settings):
    """Two writers upsert states, one committing late, while a dashboard polls.

    After each walk, every change committed before the previous walk began
    is on the dashboard (a change that a late commit put behind the cursor
    comes one walk later), and at the end it matches the table.
    """
    overlap = 2.0
    own = lambda row: re.match(OWN, row["task_id"]) is not None  # noqa: E731
    settings.RESULTS_API = {"UPDATED_SINCE_OVERLAP": overlap, "THROTTLE_CLASSES": []}
    manager = get_task_result_model()._default_manager
    errors: list[BaseException] = []
    lags: list[float] = []

    def write(prefix: str, late: bool) -> None:
        try:
            for number in range(60):
                for status in (states.STARTED, states.SUCCESS):
                    values = {
                        "task_id": f"{prefix}-{number}",
                        "task_name": "tests.testapp.tasks.add",
                        "status": status,
                        "content_type": "application/json",
                        "content_encoding": "utf-8",
                        "result": "null",
                    }
                    started = time.monotonic()
                    if late:  # date_done is stamped now, but visible only at commit
                        with transaction.atomic():
                            manager.store_values(values)
                            time.sleep(0.02)
                    else:
                        manager.store_values(values)
                    lags.append(time.monotonic() - started)
                    time.sleep(0.02)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    def stored() -> dict[str, datetime.datetime]:
        # Only the writers' rows: a worker of an earlier test may still store a late state.
        return dict(manager.filter(task_id__regex=OWN).values_list("task_id", "date_done"))

    def check(snapshot: dict[str, datetime.datetime]) -> None:
        for task_id, date_done in snapshot.items():
            assert task_id in dashboard, task_id
            assert parse_datetime(dashboard[task_id]["date_done"]) >= date_done, task_id

    threads = [
        threading.Thread(target=write, args=(prefix, late))
        for prefix, late in [("quick", False), ("late", True)]
    ]
    client = APIClient()
    client.force_authenticate(staff_user)
    dashboard: dict[str, dict] = {}
    since, snapshots = format_since(timezone.now() - datetime.timedelta(minutes=1)), []
    for thread in threads:
        thread.start()
    try:
        while any(thread.is_alive() for thread in threads):
            snapshots.append(stored())
            rows, since = poll(client, since, page_size=7)
            dashboard.update({row["task_id"]: row for row in rows if own(row)})
            if len(snapshots) > 1:
                check(snapshots[-2])
    finally:
        for thread in threads:
            thread.join()
    assert not errors, errors
    assert max(lags) < overlap, f"a write lagged {max(lags):.2f} s, more than the overlap"
    assert len(snapshots) >= 3, "the writers finished before the dashboard polled"
    for _ in range(2):
        rows, since = poll(client, since, page_size=7)
        dashboard.update({row["task_id"]: row for row in rows if own(row)})
    final = stored()
    assert len(final) == 120
    check(final)
    assert {task_id: row["status"] for task_id, row in dashboard.items()} == dict.fromkeys(
        final, states.SUCCESS
    )
