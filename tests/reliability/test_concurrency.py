"""Concurrency: chords completed by several processes at once, and one task id written at once.

* 200 chords of 4 header tasks each run on a worker of 4 processes: the
  header tasks of a chord finish at nearly the same moment on different
  processes, and race to count the chord down. Each chord body must run
  exactly once (each run inserts a row into a table of its own, counted
  here), and no ``ChordCounter`` may be left behind.
* A task delivered twice (a redelivery) runs twice at once: its id keeps one
  row, with the final state.
* A chord header task delivered three times is counted once: the chord's
  body waits for its slowest header task and runs once.
* Threads storing states of one task id at the same moment leave one row,
  with the final state, never overwritten by a late STARTED.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter

import pytest
from celery import chord, states
from django.db import connection, connections

from django_celery_results.backends import DatabaseBackend
from django_celery_results.models import ChordCounter, get_task_result_model
from tests.reliability.support import (
    record_figures,
    reliability_env,
    start_worker,
    wait_until,
    wait_until_idle,
)
from tests.reliability.tasks import BODY_RUNS_TABLE

N_CHORDS = 200
HEADER_SIZE = 4
PART = "tests.reliability.tasks.jittered_part"
BODY = "tests.reliability.tasks.counted_body"
REDELIVERED = "tests.reliability.tasks.redelivered"
TIMED_PART = "tests.reliability.tasks.timed_part"


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    """A real prefork worker of 4 processes on the test database."""
    from tests.reliability.celery_app import app

    env = reliability_env(CRA_DB_NAME=connection.settings_dict["NAME"])
    worker = start_worker(env, concurrency=4, prefix="concurrency")
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = worker.queue
    try:
        yield worker
    finally:
        app.conf.task_default_queue = previous_queue
        worker.stop()


@pytest.fixture
def body_runs(transactional_db):
    """The table each run of a chord body inserts a row into."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BODY_RUNS_TABLE}")
        cursor.execute(f"CREATE TABLE {BODY_RUNS_TABLE} (chord_number integer, pid integer)")
    yield BODY_RUNS_TABLE
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BODY_RUNS_TABLE}")


def body_run_counts() -> Counter:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT chord_number, count(*) FROM {BODY_RUNS_TABLE} GROUP BY 1")
        return Counter(dict(cursor.fetchall()))


@pytest.mark.slow
@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.swapped
def test_each_chord_body_runs_once_when_its_header_finishes_on_four_processes_at_once(
    worker, body_runs
):
    from tests.reliability.celery_app import app

    model = get_task_result_model()
    started = time.monotonic()
    bodies = []
    for number in range(N_CHORDS):
        header = [
            app.signature(PART, args=(number, index), kwargs={"max_delay": 0.01})
            for index in range(HEADER_SIZE)
        ]
        body = app.signature(BODY, kwargs={"chord_number": number})
        bodies.append(chord(header, app=app)(body).id)
    wait_until(
        lambda: model.objects.filter(task_id__in=bodies, status=states.SUCCESS).count() == N_CHORDS,
        timeout=240,
        interval=0.5,
        what="every chord body done",
    )
    wait_until_idle(worker)
    elapsed = time.monotonic() - started

    runs = body_run_counts()
    results = {
        row.task_id: row.result
        for row in model.objects.filter(task_id__in=bodies).only("task_id", "result")
    }
    processes_per_header = Counter(_header_processes(result) for result in results.values())
    figures = record_figures(
        "concurrency_chords",
        {
            "chords": N_CHORDS,
            "header_tasks": N_CHORDS * HEADER_SIZE,
            "worker_processes": 4,
            "body_runs": sum(runs.values()),
            "chords_whose_body_ran_once": sum(1 for n in range(N_CHORDS) if runs[n] == 1),
            "most_runs_of_one_body": max(runs.values(), default=0),
            "chord_counters_left": ChordCounter.objects.count(),
            "chords_by_processes_their_header_ran_on": dict(sorted(processes_per_header.items())),
            "seconds": round(elapsed, 1),
        },
    )
    assert runs == Counter(dict.fromkeys(range(N_CHORDS), 1)), figures
    assert ChordCounter.objects.count() == 0
    assert model.objects.filter(task_name=PART, status=states.SUCCESS).count() == (
        N_CHORDS * HEADER_SIZE
    )
    # The race did take place: most headers ran on more than one process.
    assert sum(c for n, c in processes_per_header.items() if n > 1) > N_CHORDS // 2, figures


def _header_processes(stored_result: str) -> int:
    import json

    return len(json.loads(stored_result)["pids"])


@pytest.mark.slow
@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.swapped
@pytest.mark.django_db(transaction=True)
def test_a_task_delivered_twice_at_once_keeps_one_row_with_its_final_state(worker):
    from tests.reliability.celery_app import app

    model = get_task_result_model()
    task_ids = [str(uuid.uuid4()) for _ in range(40)]
    for task_id in task_ids:
        for delivery in (1, 2):
            app.send_task(REDELIVERED, args=(delivery, 0.05), task_id=task_id)
    wait_until(
        lambda: (
            model.objects.filter(task_id__in=task_ids, status=states.SUCCESS).count()
            == len(task_ids)
        ),
        timeout=120,
        what="every redelivered task done",
    )
    wait_until_idle(worker)

    rows = list(model.objects.filter(task_id__in=task_ids).values_list("task_id", "status"))
    assert len(rows) == len(task_ids)
    assert {status for _, status in rows} == {states.SUCCESS}
    ran = worker.log_text().count(f"Task {REDELIVERED}[")
    record_figures(
        "concurrency_redelivery",
        {"task_ids": len(task_ids), "deliveries": 2 * len(task_ids), "rows": len(rows)},
    )
    assert ran >= 2 * len(task_ids)  # each delivery was received


@pytest.mark.django_db(transaction=True)
def test_threads_storing_one_task_id_at_once_leave_one_row_with_the_final_state(celery_app):
    """Each of 8 threads stores STARTED, then SUCCESS, for the same new task id, at once."""
    backend = DatabaseBackend(app=celery_app)
    model = get_task_result_model()
    n_threads, n_ids = 8, 25
    task_ids = [f"race-{uuid.uuid4()}" for _ in range(n_ids)]
    barrier = threading.Barrier(n_threads)
    errors: list[BaseException] = []

    def deliver(number: int) -> None:
        rng = random.Random(number)
        try:
            for task_id in task_ids:
                barrier.wait(timeout=60)
                backend.store_result(task_id, None, states.STARTED)
                time.sleep(rng.random() * 0.003)
                backend.store_result(task_id, number, states.SUCCESS)
                # A late STARTED from a slower thread must not replace a SUCCESS.
                time.sleep(rng.random() * 0.003)
                backend.store_result(task_id, None, states.STARTED)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    rows = list(model.objects.filter(task_id__in=task_ids).values_list("task_id", "status"))
    regressions = [task_id for task_id, status in rows if status != states.SUCCESS]
    record_figures(
        "concurrency_same_task_id_threads",
        {
            "threads": n_threads,
            "task_ids": n_ids,
            "writes": 3 * n_threads * n_ids,
            "rows": len(rows),
            "rows_not_in_final_state": len(regressions),
        },
    )
    assert len(rows) == n_ids
    assert regressions == []
    for task_id in task_ids:
        meta = backend.get_task_meta(task_id, cache=False)
        assert meta["status"] == states.SUCCESS
        assert meta["result"] in range(n_threads)


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.swapped
def test_a_header_task_delivered_three_times_does_not_complete_its_chord_early(worker, body_runs):
    """Two extra deliveries of a fast header task finish while another runs for 8 s.

    Counted as finished parts, they would complete the chord early: its body would
    wait for the slow part longer than result_chord_join_timeout (3 s) and fail.
    """
    from tests.reliability.celery_app import app

    model = get_task_result_model()
    header = [
        app.signature(TIMED_PART, args=(0, index), kwargs={"delay": delay})
        for index, delay in enumerate((0.0, 0.0, 8.0))
    ]
    body = app.signature(BODY, kwargs={"chord_number": 0})
    result = chord(header, app=app)(body)
    group_id = result.parent.id
    first = result.parent.results[0].id
    wait_until(
        lambda: model.objects.filter(task_id=first, status=states.SUCCESS).exists(),
        timeout=60,
        what="the first header task done",
    )
    for _ in range(2):
        app.send_task(
            TIMED_PART,
            args=(0, 0),
            kwargs={"delay": 0.0},
            task_id=first,
            group_id=group_id,
            group_index=0,
            chord=body,
        )
    wait_until(
        lambda: model.objects.filter(task_id=result.id, status=states.SUCCESS).exists(),
        timeout=60,
        what="the chord body done",
    )
    wait_until_idle(worker)

    slow = model.objects.get(task_id=result.parent.results[2].id)
    stored_body = model.objects.get(task_id=result.id)
    assert body_run_counts() == Counter({0: 1})
    assert stored_body.date_done >= slow.date_done
    assert worker.log_text().count(f"Task {TIMED_PART}[{first}] succeeded") == 3
