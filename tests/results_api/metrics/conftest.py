"""Fixtures of the metrics tests: the endpoint's URL, a scrape parsed as Prometheus parses it."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import include, path
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.urls import urlpatterns as test_urlpatterns

urlpatterns = [*test_urlpatterns, path("metrics", include("results_api.metrics.urls"))]

TOKEN = "a-scraper-token-long-enough-to-pass"
# Long enough ago that the totals count it (past ROLLUP_LAG).
LONG_AGO = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def metrics_mounted(settings):
    """Serve the endpoint at /metrics, as a project mounts it."""
    settings.ROOT_URLCONF = __name__


def scrape(client: Any, **headers: Any) -> dict[str, dict[tuple, float]]:
    """Return the samples of a scrape: ``{sample name: {sorted labels: value}}``."""
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples


def finished(
    make_task: Any,
    seconds: float = 2.0,
    waited: float = 1.0,
    ago: datetime.timedelta = LONG_AGO,
    **values: Any,
) -> Any:
    """Store a task that finished ``ago`` after waiting ``waited`` and running ``seconds``."""
    done = timezone.now() - ago
    started = done - datetime.timedelta(seconds=seconds)
    values.setdefault("date_created", started - datetime.timedelta(seconds=waited))
    task = make_task(date_started=started, **values)
    # date_done is stamped on every save: set it afterwards, as a past result holds it.
    type(task)._default_manager.filter(pk=task.pk).update(
        date_done=done, date_created=values["date_created"]
    )
    return task
