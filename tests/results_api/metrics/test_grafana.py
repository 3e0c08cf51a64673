"""The Grafana dashboard under docs/: importable JSON that asks only for metrics we serve."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.utils import timezone

from django_celery_results.models import get_task_result_model
from results_api.metrics.totals import count_totals

from .conftest import finished, scrape

DASHBOARD = Path(__file__).resolve().parents[3] / "docs" / "grafana" / "celery-results.json"
METRIC = re.compile(r"\bcelery_results_[a-z_]+")


def queries(dashboard: dict) -> list[str]:
    """Return every PromQL text of the dashboard: the panels' and the variables'."""
    found = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            found.append(variable["definition"])
    return found


def test_the_dashboard_is_json_grafana_imports_with_a_data_source_input():
    dashboard = json.loads(DASHBOARD.read_text())

    assert dashboard["__inputs"][0]["pluginId"] == "prometheus"
    assert all(panel["datasource"]["uid"] == "${DS_PROMETHEUS}" for panel in dashboard["panels"])
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])


@pytest.mark.django_db
def test_the_dashboard_names_only_metrics_and_labels_the_endpoint_serves(
    staff_client, custom_model, tenants, make_task
):
    finished(make_task, tenant=tenants[0])
    finished(make_task, tenant=tenants[1], status="FAILURE")
    make_task(status="PENDING", tenant=tenants[0])
    make_task(status="STARTED", tenant=tenants[0])
    count_totals(get_task_result_model(), until=timezone.now())
    samples = scrape(staff_client)
    dashboard = json.loads(DASHBOARD.read_text())

    named = {name for query in queries(dashboard) for name in METRIC.findall(query)}
    labels = {name for series in samples.values() for key in series for name, _ in key}
    breakdowns = next(v for v in dashboard["templating"]["list"] if v["name"] == "label")

    assert named and named <= set(samples), named - set(samples)
    assert {option["value"] for option in breakdowns["options"]} <= labels
