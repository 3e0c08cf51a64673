"""The rollup built and kept while a real worker writes: stats stay exact."""

from __future__ import annotations

import threading
import time

import pytest
from django.urls import reverse

from django_celery_results.models import get_task_result_model
from results_api.stats.rollups import roll_up
from tests.testapp.tasks import add, fail

from .conftest import _with_query

# Slow: sixty tasks sent over three seconds, and the rollup's lag waited out.
pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TIMEOUT = 60
TASKS = 60


def stats(client, **params) -> list[dict]:
    response = client.get(_with_query(reverse("results_api:task-stats"), params))
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_the_rollup_runs_while_a_worker_writes_and_stats_stay_exact(
    celery_worker_process, celery_app, staff_client, settings
):
    settings.RESULTS_API = {"ROLLUP_LAG": 3, "ROLLUP_STEP": 1}
    sent = []
    # The app's own task objects: another thread has another current app.
    succeed, failing = celery_app.tasks[add.name], celery_app.tasks[fail.name]

    def send() -> None:
        for number in range(TASKS):
            sent.append(succeed.delay(number, 1) if number % 4 else failing.delay("bad input"))
            time.sleep(0.05)

    sender = threading.Thread(target=send)
    sender.start()
    runs = 0
    while sender.is_alive() or runs < 3:
        roll_up(get_task_result_model())  # the backfill, then each catch-up, as beat runs it
        runs += 1
        time.sleep(0.3)
    sender.join()
    for result in sent:
        result.get(timeout=TIMEOUT, propagate=False)
    time.sleep(3.5)  # past ROLLUP_LAG: the last run takes every result
    roll_up(get_task_result_model())

    from_rollup = stats(staff_client, group_by="status,task_name")
    settings.RESULTS_API = {"STATS_FROM_ROLLUPS": False}
    from_tasks = stats(staff_client, group_by="status,task_name")

    # Exactness first: a stray row (another test's late result) would be in both.
    assert [(row["status"], row["task_name"], row["count"]) for row in from_rollup] == [
        (row["status"], row["task_name"], row["count"]) for row in from_tasks
    ]
    # Every task sent is stored and counted; a row besides them is a late state of an
    # earlier test's task, which both answers count alike.
    stored = set(get_task_result_model().objects.values_list("task_id", flat=True))
    assert {result.id for result in sent} <= stored
    assert sum(row["count"] for row in from_rollup) == len(stored)
    for ours, theirs in zip(from_rollup, from_tasks, strict=True):
        assert ours["runtime_max"] == pytest.approx(theirs["runtime_max"], abs=2e-6)
        assert ours["runtime_avg"] == pytest.approx(theirs["runtime_avg"], abs=2e-6)
