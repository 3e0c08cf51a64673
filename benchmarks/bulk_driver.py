"""One bulk delete through the API, as an operator's client sends it: preview, then confirm.

    BENCH_DB_NAME=... python -m benchmarks.bulk_driver FILTER   -> {"seconds", "acted", ...}

Runs with ``benchmarks.settings`` (the test app's custom model, results_api
with its admin history) against the database the writers of
``benchmarks.bulk_delete_under_load`` write to; requests go through
Django's whole request handling (``django.test.Client``), and every
statement is counted and timed (the longest, and the most rows one DELETE
removed).
"""

from __future__ import annotations

import json
import os
import sys
import time
from urllib.parse import urlencode

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from benchmarks.statements import StatementTimer  # noqa: E402


def bulk_delete(filters: dict[str, str]) -> dict:
    user, _ = get_user_model().objects.get_or_create(
        username="bench-bulk", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    url = "/api/results/tasks/bulk/delete/?" + urlencode(filters)
    timer = StatementTimer()
    started = time.perf_counter()
    with connection.execute_wrapper(timer):
        preview = client.get(url, HTTP_ACCEPT="application/json")
        assert preview.status_code == 200, preview.content[:500]
        previewed = time.perf_counter()
        preview_statements = timer.count
        done = client.post(url, {"token": preview.json()["token"]}, content_type="application/json")
    finished = time.perf_counter()
    assert done.status_code == 200, done.content[:500]
    return {
        "seconds": finished - started,
        "preview_seconds": previewed - started,
        "matched": preview.json()["matched"],
        "acted": done.json()["acted"],
        "statements": timer.count,
        "confirm_statements": timer.count - preview_statements,
        "longest_statement_seconds": timer.longest,
        "most_rows_per_delete": timer.most_rows,
    }


if __name__ == "__main__":
    api = {"THROTTLE_CLASSES": [], "BULK_ACTIONS": ["delete"], "BULK_MAX_ROWS": 10_000_000}
    with override_settings(RESULTS_API=api):
        print(json.dumps(bulk_delete(json.loads(sys.argv[1]))))
