"""Run in either virtualenv: one side of the cleanup-under-load benchmark.

python cleanup_driver.py ours|upstream migrate
python cleanup_driver.py ours|upstream seed N        expired rows copied from one template row
python cleanup_driver.py ours|upstream clean         -> {"seconds", "peak_rss_mb", ...}
python cleanup_driver.py ours|upstream write STOP    lifecycles until the file STOP exists
                                                     -> {"writes": [[end, seconds], ...]}

``ours`` is this repository's package with the test app's custom model (a
foreign key to a tenant); ``upstream`` is django-celery-results 2.6.0 with
its own model, run from its virtualenv without this repository on the path.
"""

import json
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIDE = sys.argv[1]
sys.path.insert(0, str(HERE))
if SIDE == "ours":
    sys.path.insert(0, str(HERE.parent))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

apps = ["django.contrib.contenttypes", "django.contrib.auth", "django_celery_results"]
extra = {}
if SIDE == "ours":
    apps.append("tests.testapp")
    extra = {
        "CELERY_RESULTS_TASKRESULT_MODEL": "testapp.TaskResult",
        "CELERY_RESULTS_EXTEND_TASK_PROPS_CALLBACK": "tests.testapp.results.extend_task_props",
    }
settings.configure(
    INSTALLED_APPS=apps,
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ.get("CRA_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("CRA_PG_PORT", "54329"),
            "USER": os.environ.get("CRA_PG_USER", "postgres"),
            "PASSWORD": os.environ.get("CRA_PG_PASSWORD", ""),
            "NAME": os.environ["BENCH_DB_NAME"],
            "CONN_MAX_AGE": None,
        }
    },
    USE_TZ=True,
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    CELERY_RESULT_BACKEND="django-db",
    **extra,
)
django.setup()

from celery import Celery  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from statements import StatementTimer  # noqa: E402
from workload import lifecycle, make_request, task_ids  # noqa: E402

app = Celery(broker="memory://", backend="django-db", set_as_current=True)
app.conf.result_extended = True
app.conf.result_expires = 86400
backend = app.backend


def result_table() -> str:
    from django_celery_results.models import TaskResult

    if SIDE == "ours":
        from django_celery_results.models import get_task_result_model

        return get_task_result_model()._meta.db_table
    return TaskResult._meta.db_table


def tenant_id() -> int | None:
    if SIDE != "ours":
        return None
    from tests.testapp.models import Tenant

    return Tenant.objects.get_or_create(name="bench-cleanup")[0].pk


def seed(count: int) -> dict:
    """Store one task through the backend, then copy it ``count`` times, two days old."""
    table = result_table()
    lifecycle(backend, make_request("template", tenant_id()))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = %s AND column_name NOT IN ('id', 'task_id')",
            [table],
        )
        columns = [name for (name,) in cursor.fetchall()]
        copied = ", ".join(
            "now() - interval '2 days'" if c in ("date_done", "date_created") else c
            for c in columns
        )
        started = time.perf_counter()
        cursor.execute(
            f"INSERT INTO {table} (task_id, {', '.join(columns)})"
            f" SELECT 'expired-' || n, {copied} FROM {table}, generate_series(1, %s) AS n"
            " WHERE task_id = 'template'",
            [count],
        )
        cursor.execute(f"DELETE FROM {table} WHERE task_id = 'template'")
        cursor.execute(f"VACUUM ANALYZE {table}")
    return {"rows": count, "seconds": time.perf_counter() - started}


def clean() -> dict:
    timer = StatementTimer()
    table = result_table()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        before = cursor.fetchone()[0]
    started = time.perf_counter()
    with connection.execute_wrapper(timer):
        backend.cleanup()
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        after = cursor.fetchone()[0]
    return {
        "seconds": seconds,
        "rows_deleted": before - after,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "statements": timer.count,
        "longest_statement_seconds": timer.longest,
        "most_rows_per_delete": timer.most_rows,
    }


def write(stop: str) -> dict:
    """Store task lifecycles as a worker process would, until ``stop`` exists."""
    tenant = tenant_id()
    writes = []
    while not os.path.exists(stop):
        for task_id in task_ids(20):
            request = make_request(task_id, tenant)
            started = time.time()
            lifecycle(backend, request)
            ended = time.time()
            writes.append([round(ended, 4), round(ended - started, 5)])
    return {"writes": writes}


def main() -> dict:
    command = sys.argv[2]
    if command == "migrate":
        call_command("migrate", verbosity=0)
        return {}
    if command == "seed":
        return seed(int(sys.argv[3]))
    if command == "clean":
        return clean()
    if command == "write":
        return write(sys.argv[3])
    raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    print(json.dumps(main()))
