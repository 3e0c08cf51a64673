"""Queued tasks and waiting times: ``wait`` in a task, its CSV column, ``wait_*`` in stats."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from django_celery_results.models import get_task_result_model

from .conftest import csv_rows, export_url, stats_url, task_ids, task_url, tasks_url

ON_POSTGRES = connection.vendor == "postgresql"
SECOND = datetime.timedelta(seconds=1)


def make_timed_task(make_task, status="SUCCESS", waited=None, ran=None, **values):
    """Create a task sent ``waited`` seconds before it started, done ``ran`` seconds after."""
    row = make_task(status=status, **values)
    created = row.date_done - (waited or 0) * SECOND - (ran or 0) * SECOND
    started = None if waited is None else created + waited * SECOND
    get_task_result_model()._default_manager.filter(pk=row.pk).update(
        date_created=created, date_started=started
    )
    return row


def test_wait_is_seconds_from_sent_to_started(staff_client, make_task):
    make_timed_task(make_task, task_id="t-1", waited=1.5, ran=2)

    row = staff_client.get(task_url("t-1")).json()

    assert row["wait"] == pytest.approx(1.5)
    assert row["runtime"] == pytest.approx(2)


def test_a_started_task_has_its_wait_and_no_runtime_yet(staff_client, make_task):
    make_timed_task(make_task, status="STARTED", task_id="t-1", waited=3)

    row = staff_client.get(task_url("t-1")).json()

    assert (row["wait"], row["runtime"]) == (pytest.approx(3), None)


def test_wait_is_null_while_queued_and_without_a_send_time(staff_client, make_task):
    make_task(task_id="queued", status="PENDING")
    # Not recorded when sent: the STARTED state wrote the row, both dates equal.
    row = make_task(task_id="unsent", status="SUCCESS")
    get_task_result_model()._default_manager.filter(pk=row.pk).update(date_started=row.date_created)

    assert staff_client.get(task_url("queued")).json()["wait"] is None
    assert staff_client.get(task_url("unsent")).json()["wait"] is None


def test_the_export_has_a_wait_column(staff_client, make_task):
    make_timed_task(make_task, task_id="t-1", waited=2, ran=1)

    (row,) = csv_rows(staff_client.get(export_url()))

    assert float(row["wait"]) == pytest.approx(2)


def test_pending_tasks_are_listed_oldest_first_on_request(staff_client, make_task):
    now = timezone.now()
    for age, task_id in ((5, "middle"), (10, "oldest"), (1, "newest")):
        row = make_task(task_id=task_id, status="PENDING")
        get_task_result_model()._default_manager.filter(pk=row.pk).update(
            date_created=now - age * SECOND
        )
    make_task(task_id="done", status="SUCCESS")

    response = staff_client.get(tasks_url(status="PENDING", ordering="date_created"))

    assert task_ids(response) == ["oldest", "middle", "newest"]


def test_tasks_pending_for_too_long_are_found_by_their_send_time(staff_client, make_task):
    now = timezone.now()
    for task_id, age in (("lost", 7200), ("queued", 60)):
        row = make_task(task_id=task_id, status="PENDING")
        get_task_result_model()._default_manager.filter(pk=row.pk).update(
            date_created=now - age * SECOND
        )
    an_hour_ago = (now - 3600 * SECOND).isoformat()

    response = staff_client.get(tasks_url(status="PENDING", date_created__lte=an_hour_ago))

    assert task_ids(response) == ["lost"]


def test_stats_give_waiting_times_next_to_runtimes(staff_client, make_task):
    for waited in (1, 2, 3, 10):
        make_timed_task(make_task, waited=waited, ran=1)
    make_timed_task(make_task, status="STARTED", waited=4)
    make_task(status="PENDING")

    response = staff_client.get(stats_url(group_by="status"))

    assert response.status_code == 200, response.content
    rows = {row["status"]: row for row in response.json()["results"]}
    success = rows["SUCCESS"]
    assert success["wait_avg"] == pytest.approx(4.0)
    assert success["wait_max"] == pytest.approx(10.0)
    assert success["runtime_avg"] == pytest.approx(1.0)
    assert rows["STARTED"]["wait_max"] == pytest.approx(4.0)
    assert rows["PENDING"]["wait_avg"] is None
    if ON_POSTGRES:
        assert success["wait_p50"] == pytest.approx(2.5)
        assert success["wait_p95"] == pytest.approx(8.95)
    else:
        assert success["wait_p50"] is success["wait_p95"] is None
