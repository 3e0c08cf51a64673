"""A worker's database connections between tasks: kept, yet never passed on broken.

With the README's settings (``CONN_MAX_AGE``, ``CONN_HEALTH_CHECKS``), a real
prefork worker keeps one connection per process across tasks instead of
opening one per task, and:

* sessions are counted on the server: a few hundred tasks that store their
  results and do ORM work of their own open one session per process, none leaks;
* a task that ends its own session, or returns inside a transaction (a raw
  ``BEGIN``, autocommit turned off, an ``atomic`` block never left), does not
  poison the next task on the same process: the next tasks' results and their
  own rows are stored, and the abandoned transaction's row is rolled back.
"""

from __future__ import annotations

import time
import uuid

import pytest
from celery import states
from django.db import connection

from django_celery_results.models import get_task_result_model
from tests.reliability.support import (
    record_figures,
    reliability_env,
    start_worker,
    wait_until,
    wait_until_idle,
)
from tests.testapp.models import Tenant

pytestmark = [pytest.mark.worker, pytest.mark.postgres]

CREATE_TENANT = "tests.reliability.tasks.create_tenant"
LEAVE_TRANSACTION_OPEN = "tests.reliability.tasks.leave_transaction_open"
BREAK_CONNECTION = "tests.reliability.tasks.break_connection"


def sessions_of(dbname: str) -> int:
    """Sessions ever opened on ``dbname``, as the server counts them (flushed at their end)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [dbname])
        return cursor.fetchone()[0]


def backends_of(dbname: str, application: str | None = None) -> int:
    """Sessions open on ``dbname`` now, not this test's; only ``application``'s if named."""
    sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
    params = [dbname]
    if application is not None:
        sql += " AND application_name = %s"
        params.append(application)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def wait_for_results(task_ids: list[str], timeout: float = 120) -> None:
    model = get_task_result_model()
    wait_until(
        lambda: (
            model.objects.filter(task_id__in=task_ids, status=states.SUCCESS).count()
            == len(task_ids)
        ),
        timeout=timeout,
        what=f"{len(task_ids)} results stored",
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_opens_one_session_per_process_not_one_per_task():
    from tests.reliability.celery_app import app

    dbname = connection.settings_dict["NAME"]
    n_tasks, concurrency = 300, 2
    # The worker's sessions carry a name of their own (libpq reads PGAPPNAME), so that
    # sessions other parts of the suite keep open on the database are not counted as its.
    application = "cra-sessions-test"
    env = reliability_env(CRA_DB_NAME=dbname, CRA_ALWAYS_RETRY="1", PGAPPNAME=application)
    before = sessions_of(dbname)
    worker = start_worker(env, concurrency=concurrency, prefix="sessions")
    try:
        task_ids = [
            app.send_task(CREATE_TENANT, args=(f"s-{n}",), queue=worker.queue).id
            for n in range(n_tasks)
        ]
        wait_for_results(task_ids)
        wait_until_idle(worker)
        open_while_idle = backends_of(dbname, application)
    finally:
        worker.stop()
    wait_until(
        lambda: backends_of(dbname, application) == 0,
        timeout=30,
        what="the worker's sessions ended",
    )
    # The server counts a session in its statistics when the session reports them.
    time.sleep(1.5)
    opened = sessions_of(dbname) - before

    figures = record_figures(
        "worker_sessions",
        {
            "tasks": n_tasks,
            "worker_processes": concurrency,
            "sessions_opened": opened,
            "sessions_per_task": round(opened / n_tasks, 4),
            "sessions_open_while_idle": open_while_idle,
        },
    )
    assert Tenant.objects.filter(name__startswith="s-").count() == n_tasks
    # One per pool process, and at most one for the main process (the fixup's checks).
    assert opened <= concurrency + 2, figures
    assert open_while_idle <= concurrency + 1, figures
    assert open_while_idle >= 1, figures  # the name filter does find the worker's sessions


@pytest.fixture(scope="module")
def single_process_worker(django_db_setup, django_db_blocker):
    """One pool process, so that each next task runs where the bad one ran."""
    env = reliability_env(CRA_DB_NAME=connection.settings_dict["NAME"], CRA_ALWAYS_RETRY="1")
    worker = start_worker(env, concurrency=1, prefix="poison")
    try:
        yield worker
    finally:
        worker.stop()


def run_next_tasks(worker, count: int = 10) -> list[str]:
    """Send ``count`` tasks that create a tenant each; return the names once all are stored."""
    from tests.reliability.celery_app import app

    names = [f"next-{uuid.uuid4().hex[:12]}" for _ in range(count)]
    task_ids = [app.send_task(CREATE_TENANT, args=(name,), queue=worker.queue).id for name in names]
    wait_for_results(task_ids, timeout=60)
    return names


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["begin", "autocommit", "atomic"])
def test_a_task_that_leaves_a_transaction_open_does_not_poison_the_next(single_process_worker, how):
    from tests.reliability.celery_app import app

    worker = single_process_worker
    abandoned = f"abandoned-{how}-{uuid.uuid4().hex[:8]}"
    app.send_task(LEAVE_TRANSACTION_OPEN, args=(abandoned, how), queue=worker.queue)
    wait_until_idle(worker)

    names = run_next_tasks(worker)

    assert Tenant.objects.filter(name__in=names).count() == len(names)
    assert not Tenant.objects.filter(name=abandoned).exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
            " AND state LIKE 'idle in transaction%%'",
            [connection.settings_dict["NAME"]],
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_a_task_that_ends_its_own_session_does_not_poison_the_next(single_process_worker):
    from tests.reliability.celery_app import app

    worker = single_process_worker
    broken = app.send_task(BREAK_CONNECTION, queue=worker.queue).id
    wait_for_results([broken], timeout=60)

    names = run_next_tasks(worker)

    assert Tenant.objects.filter(name__in=names).count() == len(names)


@pytest.mark.django_db(transaction=True)
def test_a_session_killed_between_tasks_is_replaced_before_the_next_task_uses_it(
    single_process_worker,
):
    run_next_tasks(single_process_worker, count=2)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [connection.settings_dict["NAME"]],
        )
        assert cursor.fetchone()[0] >= 1
    retries_before = single_process_worker.log_text().count("Retrying")

    names = run_next_tasks(single_process_worker)

    assert Tenant.objects.filter(name__in=names).count() == len(names)
    # The health check replaced the dead session; no write had to be retried.
    assert single_process_worker.log_text().count("Retrying") == retries_before
