"""Settings of the processes the reliability tests start: a worker, a web server.

They are the run's settings (``CRA_RELIABILITY_BASE_SETTINGS``, default the
swapped-model settings) with persistent, health-checked database connections
(the README's recommendation), plus the result backend's retry policy, which the
fault tests switch with ``CRA_ALWAYS_RETRY``. The database and the queue come
from the ``CRA_*`` variables, as in ``tests.settings``.
"""

import importlib
import os

_base = importlib.import_module(
    os.environ.get("CRA_RELIABILITY_BASE_SETTINGS", "tests.settings_swapped")
)
globals().update({name: value for name, value in vars(_base).items() if name.isupper()})

# As the README recommends for workers: connections kept across tasks for
# CONN_MAX_AGE seconds and checked before their first use in each task.
DATABASES = {
    alias: {**database, "CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True}
    for alias, database in DATABASES.items()  # noqa: F821  (from the base settings)
}

CELERY_RESULT_BACKEND_ALWAYS_RETRY = os.environ.get("CRA_ALWAYS_RETRY", "0") == "1"
# Sized so that a restart of the database server (a few seconds) is survived:
# full-jitter backoff from 50 ms, capped at 1 s, for up to a minute.
CELERY_RESULT_BACKEND_MAX_RETRIES = 60
CELERY_RESULT_BACKEND_BASE_SLEEP_BETWEEN_RETRIES_MS = 50
CELERY_RESULT_BACKEND_MAX_SLEEP_BETWEEN_RETRIES_MS = 1000
# Every task of the fault tests is acknowledged once it ran (Celery's default):
# a result the backend cannot store is lost, and Celery must say so.
CELERY_TASK_ACKS_LATE = False
