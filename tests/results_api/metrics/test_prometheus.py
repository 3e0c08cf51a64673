"""A real Prometheus scrapes the endpoint of a live server while a real worker runs tasks.

Prometheus is the one ``scripts/services`` starts: it scrapes, every
second, the targets written as JSON files into its ``targets/`` folder,
with the bearer token in its ``token`` file. Each test writes its own
target with a label of its own, so that runs at once do not mix.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from django_celery_results.models import get_task_result_model
from results_api.metrics.totals import count_totals
from tests.testapp.tasks import add, fail

from .conftest import TOKEN

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TIMEOUT = 60
BOUNDS = [0.001, 0.01, 0.1, 1, 10]


@pytest.fixture
def prometheus():
    """The URL of the running Prometheus and its folder, as scripts/services set them."""
    url, folder = os.environ.get("CRA_PROMETHEUS_URL"), os.environ.get("CRA_PROMETHEUS_DIR")
    assert url and folder, "no Prometheus: run scripts/services start and its env"
    return url, Path(folder)


@pytest.fixture
def scraped(prometheus, live_server, settings):
    """Point Prometheus at this test's live server; return the label its series carry."""
    _, folder = prometheus
    settings.RESULTS_API = {
        "METRICS_TOKEN": TOKEN,
        "METRICS_BUCKETS": BOUNDS,
        "METRICS_LABELS": [],
        "ROLLUP_LAG": 1,
    }
    (folder / "token").write_text(TOKEN)
    run = uuid.uuid4().hex[:12]
    address = urllib.parse.urlsplit(live_server.url).netloc
    target = folder / "targets" / f"{run}.json"
    written = [{"targets": [address], "labels": {"__metrics_path__": "/metrics", "run": run}}]
    target.write_text(json.dumps(written))
    try:
        yield run
    finally:
        target.unlink()


def query(prometheus, expression: str) -> list[dict]:
    """Return the result vector of an instant query of Prometheus's HTTP API."""
    url = f"{prometheus[0]}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    with urllib.request.urlopen(url, timeout=10) as answer:
        body = json.load(answer)
    assert body["status"] == "success", body
    return body["data"]["result"]


def value(prometheus, expression: str) -> float | None:
    found = query(prometheus, expression)
    return float(found[0]["value"][1]) if found else None


def wait_for(prometheus, expression: str, wanted: float) -> float | None:
    """Wait until ``expression`` reads ``wanted`` (scraped at last), or time out; return it."""
    deadline, found = time.monotonic() + TIMEOUT, None
    while time.monotonic() < deadline:
        found = value(prometheus, expression)
        if found == wanted:
            return found
        time.sleep(0.5)
    return found


def run_tasks(celery_app, succeeding: int, failing: int) -> None:
    """Send tasks to the worker and wait for every result; count them into the totals."""
    succeed, failed = celery_app.tasks[add.name], celery_app.tasks[fail.name]
    sent = [succeed.delay(number, 1) for number in range(succeeding)]
    sent += [failed.delay("bad input") for _ in range(failing)]
    for result in sent:
        result.get(timeout=TIMEOUT, propagate=False)
    time.sleep(1.5)  # past ROLLUP_LAG
    count_totals(get_task_result_model())


def test_prometheus_reads_the_counts_of_the_tasks_a_worker_ran(
    prometheus, scraped, celery_worker_process, celery_app
):
    run_tasks(celery_app, succeeding=12, failing=4)
    stored = get_task_result_model().objects.filter(status__in=["SUCCESS", "FAILURE"])

    total = wait_for(prometheus, f'sum(celery_results_tasks_total{{run="{scraped}"}})', 16)

    assert total == stored.count() == 16
    by_state = query(prometheus, f'sum by (state) (celery_results_tasks_total{{run="{scraped}"}})')
    assert {row["metric"]["state"]: float(row["value"][1]) for row in by_state} == {
        "SUCCESS": 12.0,
        "FAILURE": 4.0,
    }


def test_prometheus_rates_the_tasks_finished_between_two_scrapes(
    prometheus, scraped, celery_worker_process, celery_app
):
    series = f'celery_results_tasks_total{{run="{scraped}"}}'
    run_tasks(celery_app, succeeding=5, failing=1)
    wait_for(prometheus, f"sum({series})", 6)
    time.sleep(3)  # a few scrapes of the first count

    run_tasks(celery_app, succeeding=10, failing=2)
    wait_for(prometheus, f"sum({series})", 18)
    time.sleep(2)

    increase = value(prometheus, f"sum(increase({series}[5m]))")
    rate = value(prometheus, f"sum(rate({series}[5m]))")
    # increase() extrapolates a little past the first and last samples of the window.
    assert increase is not None and 12 <= increase <= 12 * 1.5
    assert rate is not None and rate > 0


def test_prometheus_quantiles_fall_in_the_bucket_of_the_stored_runtimes(
    prometheus, scraped, celery_worker_process, celery_app
):
    run_tasks(celery_app, succeeding=20, failing=0)
    runtimes = [
        (row.date_done - row.date_started).total_seconds()
        for row in get_task_result_model().objects.filter(status="SUCCESS")
    ]
    buckets = f'celery_results_task_runtime_seconds_bucket{{run="{scraped}"}}'
    every = f'celery_results_task_runtime_seconds_bucket{{run="{scraped}",le="+Inf"}}'
    wait_for(prometheus, f"sum({every})", 20)

    for fraction in (0.5, 0.95):
        found = value(prometheus, f"histogram_quantile({fraction}, sum by (le) ({buckets}))")
        exact = statistics.quantiles(runtimes, n=100, method="inclusive")[round(fraction * 100) - 1]
        # Prometheus interpolates inside the bucket that holds the exact figure.
        upper = next(bound for bound in BOUNDS if exact <= bound)
        lower = max([0, *(bound for bound in BOUNDS if bound < upper)])
        # (Prometheus's interpolation may land a rounding error past a bound.)
        assert found is not None and lower - 1e-9 <= found <= upper + 1e-9, (fraction, exact, found)
