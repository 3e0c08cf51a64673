"""Database faults under a real worker pool: no result is lost silently.

A prefork worker (4 processes) stores the results of N tasks into a
PostgreSQL server of the test's own, which the test restarts twice and
whose connections it kills once, while the tasks run:

* with ``result_backend_always_retry`` (and a retry budget sized for a
  restart) every one of the N results ends stored;
* without it, results are lost, and each loss goes through Celery's own
  error path: the worker logs an error naming the task, or stores it as a
  FAILURE. None is lost silently.

Figures: tasks sent, results stored, results lost (and how they were reported).
"""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest
from celery import states

from django_celery_results.models import get_task_result_model
from tests.reliability.support import (
    TASK_ID,
    Worker,
    count_anonymous_error_records,
    migrate,
    postgres_available,
    record_figures,
    reliability_env,
    start_worker,
    task_ids_in_error_records,
    throwaway_postgres,
    wait_until,
    wait_until_idle,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.swapped,
    pytest.mark.skipif(not postgres_available(), reason="no PostgreSQL server binaries"),
]

N_TASKS = 600
TASK_DELAY = 0.02  # seconds per task: 600 tasks on 4 processes last several seconds
DOWN_FOR = 2.0  # seconds the database server stays down at each restart
DBNAME = "results"
SLOW_ADD = "tests.reliability.tasks.slow_add"
EXIT_PROCESS = "tests.reliability.tasks.exit_process"
INTERNAL_ERROR = re.compile(r"Internal error of task \[[^]]*\]")


@pytest.fixture(scope="module")
def database():
    """A throwaway PostgreSQL server with a migrated results database."""
    with throwaway_postgres() as server:
        server.execute(f"CREATE DATABASE {DBNAME}")
        migrate(reliability_env(**server.env(DBNAME)))
        yield server


@pytest.fixture
def table(database):
    """The active task result table, emptied before the test."""
    name = get_task_result_model()._meta.db_table
    database.execute(f"TRUNCATE {name}", dbname=DBNAME)
    return name


def start_fault_worker(database, always_retry: bool) -> Worker:
    env = reliability_env(**database.env(DBNAME), CRA_ALWAYS_RETRY="1" if always_retry else "0")
    return start_worker(env, concurrency=4, prefix="faults")


def send_tasks(worker: Worker) -> dict[str, int]:
    """Send N tasks to the worker's queue; return task id -> expected result."""
    from tests.reliability.celery_app import app

    expected = {}
    with app.producer_or_acquire() as producer:
        for number in range(N_TASKS):
            task_id = str(uuid.uuid4())
            app.send_task(
                SLOW_ADD,
                args=(number, number),
                kwargs={"delay": TASK_DELAY},
                task_id=task_id,
                queue=worker.queue,
                producer=producer,
            )
            expected[task_id] = 2 * number
    return expected


def count_successes(database, table: str) -> int:
    """Results stored as SUCCESS so far; -1 while the server is down."""
    try:
        rows = database.query(
            f"SELECT count(*) FROM {table} WHERE status = %s", (states.SUCCESS,), dbname=DBNAME
        )
    except Exception:  # the server is restarting
        return -1
    return rows[0][0]


def inject_faults(database, table: str, shares=(0.2, 0.45, 0.7)) -> list[dict]:
    """Restart the server, kill its connections, restart it again, each at a point of the run.

    A point is the share of the tasks stored; a run that loses results must
    use early points, or a lost third of them would leave the last out of reach.
    """
    faults = []
    for share, fault in zip(shares, ("restart", "terminate_backends", "restart"), strict=True):
        wait_until(
            lambda share=share: count_successes(database, table) >= share * N_TASKS,
            timeout=120,
            interval=0.05,
            what=f"{share:.0%} of the results stored",
        )
        done = count_successes(database, table)
        if fault == "restart":
            database.restart(down_for=DOWN_FOR)
            faults.append({"fault": "restart", "down_seconds": DOWN_FOR, "stored_before": done})
        else:
            killed = database.terminate_backends(DBNAME)
            faults.append({"fault": fault, "connections_killed": killed, "stored_before": done})
    return faults


def stored_rows(database, table: str) -> dict[str, tuple[str, str]]:
    rows = database.query(f"SELECT task_id, status, result FROM {table}", dbname=DBNAME)
    return {task_id: (status, result) for task_id, status, result in rows}


def test_with_always_retry_every_result_survives_restarts_and_killed_connections(database, table):
    worker = start_fault_worker(database, always_retry=True)
    started = time.monotonic()
    try:
        expected = send_tasks(worker)
        faults = inject_faults(database, table)
        wait_until(
            lambda: count_successes(database, table) >= N_TASKS,
            timeout=180,
            interval=0.25,
            what="every result stored",
        )
        wait_until_idle(worker)
    finally:
        worker.stop()
    elapsed = time.monotonic() - started

    rows = stored_rows(database, table)
    stored = {
        task_id
        for task_id, (status, result) in rows.items()
        if status == states.SUCCESS and json.loads(result) == expected.get(task_id)
    }
    log = worker.log_text()
    retried_writes = log.count("Failed operation _store_result. Retrying")
    figures = record_figures(
        "database_faults_with_always_retry",
        {
            "tasks_sent": len(expected),
            "results_stored": len(stored),
            "results_lost": len(set(expected) - stored),
            "rows": len(rows),
            "store_retries_logged": retried_writes,
            "faults": faults,
            "seconds": round(elapsed, 1),
        },
    )
    assert stored == set(expected), figures
    # A row of no task sent here: say what it is (seen once in CI, not reproduced).
    unexpected = {task_id: rows[task_id] for task_id in set(rows) - set(expected)}
    assert len(rows) == N_TASKS, (unexpected, log[-3000:])
    # The faults did reach the writes: Celery retried some of them.
    assert retried_writes > 0, log[-3000:]
    assert not task_ids_in_error_records(log)


def test_without_always_retry_every_lost_result_is_reported_by_celery(database, table):
    worker = start_fault_worker(database, always_retry=False)
    started = time.monotonic()
    try:
        expected = send_tasks(worker)
        faults = inject_faults(database, table, shares=(0.15, 0.3, 0.45))
        wait_until_idle(worker)
    finally:
        worker.stop()
    elapsed = time.monotonic() - started

    rows = stored_rows(database, table)
    stored = {
        task_id
        for task_id, (status, result) in rows.items()
        if status == states.SUCCESS and json.loads(result) == expected.get(task_id)
    }
    lost = set(expected) - stored
    log = worker.log_text()
    named = task_ids_in_error_records(log) & set(expected)
    signalled = set(TASK_ID.findall("\n".join(INTERNAL_ERROR.findall(log))))
    stored_as_failure = {t for t in lost if rows.get(t, ("",))[0] == states.FAILURE}
    silent = lost - named - stored_as_failure
    figures = record_figures(
        "database_faults_without_always_retry",
        {
            "tasks_sent": len(expected),
            "results_stored": len(stored),
            "results_lost": len(lost),
            "lost_stored_as_failure": len(stored_as_failure),
            "lost_named_by_task_internal_error": len(lost & signalled),
            "lost_named_in_worker_error_records": len(lost & named),
            "worker_error_records_naming_no_task": count_anonymous_error_records(log),
            "lost_silently": len(silent),
            "lost_final_states": _state_counts(rows, lost),
            "faults": faults,
            "seconds": round(elapsed, 1),
        },
    )
    assert silent == set(), figures
    # The faults did cost results (else this test would show nothing).
    assert lost, figures


def test_the_worker_main_process_stores_failures_again_after_a_database_restart(database, table):
    """A pool process that dies leaves its failure to the worker's main process to store.

    After a restart of the database server, the main process's connection is
    dead. Without ``result_backend_always_retry`` the first failure it stores
    then may be lost (an ERROR record says so), but the main process must
    reconnect for the next ones rather than keep the dead connection for good.
    """
    from tests.reliability.celery_app import app

    worker = start_fault_worker(database, always_retry=False)

    def refusals() -> int:
        return worker.log_text().count("Pool callback raised exception")

    def status_of(task_id: str) -> str | None:
        rows = database.query(
            f"SELECT status FROM {table} WHERE task_id = %s", (task_id,), dbname=DBNAME
        )
        return rows[0][0] if rows else None

    def lose_a_pool_process() -> str:
        refused = refusals()
        task_id = app.send_task(EXIT_PROCESS, queue=worker.queue).id
        wait_until(
            lambda: status_of(task_id) == states.FAILURE or refusals() > refused,
            timeout=60,
            what=f"the failure of {task_id} stored or refused",
        )
        return task_id

    try:
        before = lose_a_pool_process()
        database.restart(down_for=0.5)
        first_after = lose_a_pool_process()
        second_after = lose_a_pool_process()
    finally:
        worker.stop()

    assert status_of(before) == states.FAILURE
    assert status_of(first_after) == states.FAILURE or refusals() == 1
    assert status_of(second_after) == states.FAILURE, worker.log_text()[-4000:]


def _state_counts(rows: dict[str, tuple[str, str]], task_ids: set[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for task_id in task_ids:
        state = rows[task_id][0] if task_id in rows else "no row"
        counts[state] = counts.get(state, 0) + 1
    return counts
