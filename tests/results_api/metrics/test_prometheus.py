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
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from django_celery_results.models import get_task_result_model
from results_api.metrics.totals import count_totals
from results_api.stats.rollups import FINAL_STATES
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


def run_tasks(celery_app, succeeding: int, failing: int) -> tuple[list[str], datetime]:
    """Send tasks to the worker and wait for every result; count them into the totals.

    Return the ids sent and how far the totals reach.
    """
    succeed, failed = celery_app.tasks[add.name], celery_app.tasks[fail.name]
    sent = [succeed.delay(number, 1) for number in range(succeeding)]
    sent += [failed.delay("bad input") for _ in range(failing)]
    for result in sent:
        result.get(timeout=TIMEOUT, propagate=False)
    time.sleep(1.5)  # past ROLLUP_LAG
    return [result.id for result in sent], count_totals(get_task_result_model())


def counted_by_state(until: datetime) -> dict[str, int]:
    """Return how many final results the table holds per state, done before ``until``.

    That is what the totals counted: the tasks of this test, and any late
    state an earlier test's task left on the session's worker (a REVOKED
    row, say), which the totals count alike.
    """
    rows = get_task_result_model().objects.filter(
        status__in=sorted(FINAL_STATES), date_done__lt=until
    )
    return dict(Counter(rows.values_list("status", flat=True)))


def test_prometheus_reads_the_counts_of_the_tasks_a_worker_ran(
    prometheus, scraped, celery_worker_process, celery_app
):
    sent, until = run_tasks(celery_app, succeeding=12, failing=4)
    ours = get_task_result_model().objects.filter(task_id__in=sent, date_done__lt=until)
    assert Counter(ours.values_list("status", flat=True)) == {"SUCCESS": 12, "FAILURE": 4}
    counted = counted_by_state(until)

    total = wait_for(
        prometheus, f'sum(celery_results_tasks_total{{run="{scraped}"}})', sum(counted.values())
    )

    assert total == sum(counted.values())
    by_state = query(prometheus, f'sum by (state) (celery_results_tasks_total{{run="{scraped}"}})')
    assert {row["metric"]["state"]: float(row["value"][1]) for row in by_state} == counted


def test_prometheus_rates_the_tasks_finished_between_two_scrapes(
    prometheus, scraped, celery_worker_process, celery_app
):
    series = f'celery_results_tasks_total{{run="{scraped}"}}'
    _, until = run_tasks(celery_app, succeeding=5, failing=1)
    first = sum(counted_by_state(until).values())
    wait_for(prometheus, f"sum({series})", first)
    time.sleep(3)  # a few scrapes of the first count

    _, until = run_tasks(celery_app, succeeding=10, failing=2)
    added = sum(counted_by_state(until).values()) - first
    wait_for(prometheus, f"sum({series})", first + added)
    time.sleep(2)

    increase = value(prometheus, f"sum(increase({series}[5m]))")
    rate = value(prometheus, f"sum(rate({series}[5m]))")
    # increase() extrapolates a little past the first and last samples of the window.
    assert added >= 12
    assert increase is not None and added <= increase <= added * 1.5
    assert rate is not None and rate > 0


def test_prometheus_quantiles_fall_in_the_bucket_of_the_stored_runtimes(
    prometheus, scraped, celery_worker_process, celery_app
):
    _, until = run_tasks(celery_app, succeeding=20, failing=0)
    counted = get_task_result_model().objects.filter(
        status__in=sorted(FINAL_STATES), date_done__lt=until, date_started__isnull=False
    )
    runtimes = [(row.date_done - row.date_started).total_seconds() for row in counted]
    buckets = f'celery_results_task_runtime_seconds_bucket{{run="{scraped}"}}'
    every = f'celery_results_task_runtime_seconds_bucket{{run="{scraped}",le="+Inf"}}'
    wait_for(prometheus, f"sum({every})", len(runtimes))

    for fraction in (0.5, 0.95):
        found = value(prometheus, f"histogram_quantile({fraction}, sum by (le) ({buckets}))")
        exact = statistics.quantiles(runtimes, n=100, method="inclusive")[round(fraction * 100) - 1]
        # Prometheus interpolates inside the bucket that holds the exact figure.
        upper = next(bound for bound in BOUNDS if exact <= bound)
        lower = max([0, *(bound for bound in BOUNDS if bound < upper)])
        # (Prometheus's interpolation may land a rounding error past a bound.)
        assert found is not None and lower - 1e-9 <= found <= upper + 1e-9, (fraction, exact, found)
