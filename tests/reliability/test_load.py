"""Load: the API on a real server (gunicorn, on PostgreSQL) under a bounded load on loopback.

The test fills the database with 3,000 task results of three tenants,
starts gunicorn (2 worker processes of 4 threads) on a free loopback port,
and sends a paced mix of the dashboard's requests (lists filtered and
paged, details, stats, groups) at a few hundred requests per second for
``CRA_LOAD_SECONDS`` (60 by default) from 16 client threads with
keep-alive connections. Every response must be a 200: zero errors. The
latency percentiles (from sending a request to reading its whole
response) and the rate reached are printed and recorded; they are not
asserted, the machine being shared.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from celery import states
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from django_celery_results.models import get_group_result_model, get_task_result_model
from tests.reliability.support import (
    ROOT,
    free_port,
    record_figures,
    reliability_env,
    stop_process,
    wait_until,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.swapped,
    pytest.mark.django_db(transaction=True),
]

ROWS = 3000
TARGET_RATE = float(os.environ.get("CRA_LOAD_RATE", "300"))  # requests per second
SECONDS = float(os.environ.get("CRA_LOAD_SECONDS", "60"))
CLIENT_THREADS = 16
TENANTS = ("acme", "globex", "initech")


@pytest.fixture
def dataset(transactional_db, django_user_model):
    """Task and group results of three tenants, and the session cookie of a staff user."""
    from tests.testapp.models import Tenant

    tenants = [Tenant.objects.create(name=name) for name in TENANTS]
    model = get_task_result_model()
    now = timezone.now()
    rng = random.Random(7)
    rows = []
    for number in range(ROWS):
        done = now - timedelta(seconds=rng.randrange(86_400))
        rows.append(
            model(
                task_id=str(uuid.UUID(int=rng.getrandbits(128))),
                task_name=rng.choice(("tasks.add", "tasks.report", "tasks.sync", "tasks.mail")),
                status=rng.choice((states.SUCCESS,) * 6 + (states.FAILURE, states.STARTED)),
                worker=f"celery@host-{number % 4}",
                tenant=tenants[number % 3],
                priority=rng.choice(("low", "normal", "high")),
                attempt=rng.randrange(3),
                content_type="application/json",
                content_encoding="utf-8",
                result=json.dumps({"total": number}),
                task_args=json.dumps([number, number]),
                task_kwargs=json.dumps({"tenant_id": tenants[number % 3].pk}),
                date_started=done - timedelta(seconds=rng.random() * 5),
            )
        )
    model._default_manager.bulk_create(rows, batch_size=1000)
    group_model = get_group_result_model()
    group_model._default_manager.bulk_create(
        group_model(group_id=f"group-{n}", content_type="application/json", result="[]")
        for n in range(200)
    )
    user = django_user_model.objects.create_user("loader", is_staff=True)
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {
        "cookie": f"{settings.SESSION_COOKIE_NAME}={session}",
        "task_ids": [row.task_id for row in rows],
        "tenant_ids": [tenant.pk for tenant in tenants],
    }


@pytest.fixture
def server(dataset):
    """gunicorn serving the test project on a free loopback port, on the test database."""
    port = free_port()
    log = Path(settings.VAR) / f"gunicorn-{port}.log"
    env = reliability_env(
        CRA_DB_NAME=connection.settings_dict["NAME"],
        DJANGO_SETTINGS_MODULE="tests.reliability.server_settings",
    )
    command = [
        sys.executable, "-m", "gunicorn", "tests.reliability.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
        "--worker-class", "gthread", "--keep-alive", "30", "--timeout", "60",
        "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=output)
    try:
        wait_until(
            lambda: _answers(port, dataset["cookie"]) or process.poll() is not None,
            timeout=60,
            what="gunicorn answering",
        )
        assert process.poll() is None, log.read_text()[-3000:]
        yield {"port": port, "log": log}
    finally:
        stop_process(process)
        # The test database is dropped at the end of the run: no connection may stay.
        connection.close()


def _answers(port: int, cookie: str) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/api/results/tasks/?page_size=1", headers={"Cookie": cookie})
        return conn.getresponse().status == 200
    except OSError:
        return False


def request_mix(dataset: dict, rng: random.Random):
    """An endless mix of the requests a dashboard makes, with their weights."""
    tenants, task_ids = dataset["tenant_ids"], dataset["task_ids"]
    kinds = [
        (30, "list", lambda: {"page_size": 20}),
        (
            20,
            "list filtered",
            lambda: {
                "tenant": rng.choice(tenants),
                "status__in": "SUCCESS,FAILURE",
                "ordering": rng.choice(("-date_done", "task_name", "-attempt")),
                "page_size": 25,
            },
        ),
        (30, "detail", None),
        (10, "stats", lambda: {"group_by": "status,tenant"}),
        (5, "groups", lambda: {"page_size": 20}),
        (5, "next page", None),
    ]
    weights = [weight for weight, _, _ in kinds]
    while True:
        _, kind, params = rng.choices(kinds, weights)[0]
        if kind == "detail":
            yield kind, f"/api/results/tasks/{rng.choice(task_ids)}/"
        elif kind == "stats":
            yield kind, "/api/results/tasks/stats/?" + urlencode(params())
        elif kind == "groups":
            yield kind, "/api/results/groups/?" + urlencode(params())
        elif kind == "next page":
            yield kind, "next"
        else:
            yield kind, "/api/results/tasks/?" + urlencode(params())


def test_the_api_serves_a_few_hundred_requests_a_second_without_an_error(dataset, server):
    port, cookie = server["port"], dataset["cookie"]
    due = itertools.count()
    lock = threading.Lock()
    latencies: dict[str, list[float]] = {}
    errors: list[str] = []
    start = time.monotonic() + 0.5
    stop_at = start + SECONDS

    def client(number: int) -> None:
        rng = random.Random(number)
        mix = request_mix(dataset, rng)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        next_url = None
        while True:
            with lock:
                when = start + next(due) / TARGET_RATE
            if when >= stop_at or time.monotonic() >= stop_at:
                break  # bounded in time: a saturated server gets fewer requests, not more time
            time.sleep(max(0.0, when - time.monotonic()))
            kind, url = next(mix)
            if url == "next":
                url = next_url or "/api/results/tasks/?page_size=20"
            sent = time.monotonic()
            try:
                conn.request("GET", url, headers={"Cookie": cookie, "Accept": "application/json"})
                response = conn.getresponse()
                body = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{kind} {url}: {exc!r}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            elapsed = time.monotonic() - sent
            if status != 200:
                errors.append(f"{kind} {url}: {status} {body[:200]!r}")
                continue
            if kind in ("list", "next page"):
                link = json.loads(body)["next"]
                next_url = link.split(f":{port}", 1)[-1] if link else None
            with lock:
                latencies.setdefault(kind, []).append(elapsed)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 120)
    duration = time.monotonic() - start

    every = sorted(value for values in latencies.values() for value in values)
    figures = record_figures(
        "load",
        {
            "server": "gunicorn, 2 processes x 4 threads (gthread), PostgreSQL, CONN_MAX_AGE=60, "
            "cached_db sessions",
            "rows": ROWS,
            "client_threads": CLIENT_THREADS,
            "target_rate_per_second": TARGET_RATE,
            "seconds": round(duration, 1),
            "requests": len(every) + len(errors),
            "errors": len(errors),
            "rate_reached_per_second": round((len(every) + len(errors)) / duration, 1),
            "latency_ms": percentiles(every),
            "latency_ms_by_kind": {kind: percentiles(sorted(v)) for kind, v in latencies.items()},
        },
    )
    assert not any(thread.is_alive() for thread in threads)
    assert errors == [], (errors[:10], figures)
    assert every, figures


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of sorted ``values`` (seconds), in milliseconds."""
    if not values:
        return {}
    if len(values) == 1:
        values = values * 2
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "p50": round(cuts[49] * 1000, 1),
        "p95": round(cuts[94] * 1000, 1),
        "p99": round(cuts[98] * 1000, 1),
        "max": round(values[-1] * 1000, 1),
    }
