"""Shared fixtures: the Celery app, the active models, and a real worker process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from django_celery_results.models import get_task_result_model

ROOT = Path(__file__).resolve().parent.parent


# Fixtures through which a test reaches the test database (pytest-django's, and ours on them).
DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "django_db_setup",
        "live_server",
    }
)


def pytest_addoption(parser):
    parser.addoption(
        "--all-combinations",
        action="store_true",
        help="also run the tests that run once (no database, no model dependence) in this run",
    )


def uses_database(item) -> bool:
    """Whether ``item`` reaches the test database, or is marked to run on every combination."""
    return bool(
        item.get_closest_marker("django_db")
        or item.get_closest_marker("postgres")
        or item.get_closest_marker("each_combination")
        or DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
    )


def picks_model(item) -> bool:
    """Whether ``item`` makes a task result model active itself, whatever the settings say."""
    return "custom_model" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config, items):
    """Deselect tests written for another database or model, and run-once tests after their run.

    The rule for which combination a test runs on (README, Development): a
    test that uses the database, or is marked ``each_combination``, runs on
    every database and model setting its markers allow, except that one which
    picks the model itself (the ``custom_model`` fixture) runs with
    ``tests.settings`` only; any other test runs once, in the SQLite run with
    the default model (with the custom model if it is marked ``swapped``).
    """
    engine = settings.DATABASES["default"]["ENGINE"]
    on_postgres = engine.endswith("postgresql")
    on_sqlite = engine.endswith("sqlite3")
    swapped = getattr(settings, "CELERY_RESULTS_TASKRESULT_MODEL", None) not in (
        None,
        "django_celery_results.TaskResult",
    )
    every_run = config.getoption("--all-combinations")
    keep, drop = [], []
    for item in items:
        marked_swapped = bool(item.get_closest_marker("swapped"))
        unfit = (
            (item.get_closest_marker("postgres") and not on_postgres)
            or (marked_swapped and not swapped)
            or (item.get_closest_marker("default_model") and swapped)
            or (
                not every_run
                and not uses_database(item)
                and not (on_sqlite and swapped == marked_swapped)
            )
            or (not every_run and swapped and not marked_swapped and picks_model(item))
        )
        (drop if unfit else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def localised(settings):
    """Choose each request's language from its Accept-Language header, as a project does."""
    middleware = list(settings.MIDDLEWARE)
    sessions = middleware.index("django.contrib.sessions.middleware.SessionMiddleware")
    middleware.insert(sessions + 1, "django.middleware.locale.LocaleMiddleware")
    settings.MIDDLEWARE = middleware
    yield
    translation.deactivate()  # LocaleMiddleware leaves the last language active in the thread


@pytest.fixture
def celery_app():
    from tests.celery_app import app

    return app


@pytest.fixture
def backend(celery_app):
    return celery_app.backend


@pytest.fixture
def task_result_model():
    return get_task_result_model()


@pytest.fixture
def tenant(db):
    from tests.testapp.models import Tenant

    return Tenant.objects.create(name="acme")


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """Start a real prefork worker (2 processes) on the test database and Redis."""
    from tests.celery_app import app

    queue = f"tests-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    log = Path(settings.VAR) / f"worker-{queue}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tests.settings"),
        "CRA_DB_NAME": connection.settings_dict["NAME"],
        "CRA_CELERY_QUEUE": queue,
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "tests.celery_app", "worker",
        "-P", "prefork", "-c", "2", "-Q", queue, "-n", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=output)
    try:
        _wait_for_worker(app, process, log, f"{queue}@{socket.gethostname()}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_worker(app, process, log, name, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited early:\n{log.read_text()[-3000:]}")
        # This worker only (the broker may serve others), and its answer ends the wait.
        replies = app.control.ping(destination=[name], timeout=1.0, limit=1)
        if replies:
            return
    raise RuntimeError(f"worker did not answer a ping in {timeout}s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def make_request():
    """Return a factory of task requests shaped like those a worker passes to the backend."""
    from celery.app.task import Context

    def make(task_id=None, task="tests.testapp.tasks.add", args=(), kwargs=None, **extra):
        kwargs = kwargs or {}
        return Context(
            id=task_id or str(uuid.uuid4()),
            task=task,
            args=list(args),
            kwargs=kwargs,
            argsrepr=repr(tuple(args)),
            kwargsrepr=repr(kwargs),
            hostname="celery@worker-1",
            retries=0,
            delivery_info={"routing_key": "celery"},
            **extra,
        )

    return make
