"""Run inside the upstream virtualenv: time the public package's write and read paths.

python upstream_driver.py migrate
python upstream_driver.py write N      -> {"rate": lifecycles/s, "statements": per lifecycle}
python upstream_driver.py read N       -> {"rate": get_task_meta/s}
"""

import json
import os
import sys
import time

import django
from django.conf import settings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

if os.environ.get("BENCH_DB", "postgres") == "postgres":
    DATABASE = {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("CRA_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("CRA_PG_PORT", "54329"),
        "USER": os.environ.get("CRA_PG_USER", "postgres"),
        "PASSWORD": os.environ.get("CRA_PG_PASSWORD", ""),
        "NAME": os.environ["BENCH_DB_NAME"],
    }
else:
    DATABASE = {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["BENCH_DB_NAME"]}

settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django_celery_results"],
    DATABASES={"default": DATABASE},
    USE_TZ=True,
    CELERY_RESULT_BACKEND="django-db",
)
django.setup()

from celery import Celery  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from harness import pin_with_server  # noqa: E402
from workload import lifecycle, make_request, requests  # noqa: E402

app = Celery(broker="memory://", backend="django-db", set_as_current=True)
app.conf.result_extended = True
backend = app.backend


def main(command, count=0):
    if command == "migrate":
        call_command("migrate", verbosity=0)
        return {}
    batch = requests(count, None)
    pin_with_server(connection)
    if command == "write":
        with CaptureQueriesContext(connection) as queries:
            lifecycle(backend, make_request("probe-" + batch[0].id, None))
        started = time.perf_counter()
        for request in batch:
            lifecycle(backend, request)
        return {"rate": count / (time.perf_counter() - started), "statements": len(queries)}
    if command == "read":
        for request in batch:
            lifecycle(backend, request)
        started = time.perf_counter()
        for request in batch:
            backend.get_task_meta(request.id, cache=False)
        return {"rate": count / (time.perf_counter() - started)}
    raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], *map(int, sys.argv[2:]))))
