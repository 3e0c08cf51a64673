"""System checks of the metrics settings."""

from __future__ import annotations

import pytest

from results_api.metrics.checks import check_metrics_settings


def _ids(settings_value, settings) -> list[str]:
    settings.RESULTS_API = settings_value
    return [message.id for message in check_metrics_settings()]


def test_default_settings_pass(settings):
    assert _ids({}, settings) == []


def test_the_custom_models_default_labels_pass(custom_model, settings):
    assert _ids({}, settings) == []


def test_a_label_the_model_lacks_is_e020(settings):
    assert _ids({"METRICS_LABELS": ["tenantt"]}, settings) == ["results_api.E020"]


@pytest.mark.parametrize("name", ["args", "date_done", "task_name", "status"])
def test_a_field_that_cannot_label_metrics_is_e020(custom_model, settings, name):
    assert _ids({"METRICS_LABELS": [name]}, settings) == ["results_api.E020"]


def test_an_excluded_field_is_no_label(custom_model, settings):
    assert _ids({"METRICS_LABELS": ["tenant"], "EXCLUDE_FIELDS": ["tenant"]}, settings) == [
        "results_api.E020"
    ]


def test_a_histogram_label_that_is_no_label_is_e020(custom_model, settings):
    assert _ids({"METRICS_LABELS": [], "METRICS_HISTOGRAM_LABELS": ["tenant"]}, settings) == [
        "results_api.E020"
    ]


@pytest.mark.parametrize("name", ["worker", "attempt"])
def test_a_label_that_could_explode_is_w020(custom_model, settings, name):
    assert _ids({"METRICS_LABELS": [name]}, settings) == ["results_api.W020"]


@pytest.mark.parametrize("bounds", [[], [0, 1], [1, 1], ["1"], 5], ids=str)
def test_bucket_bounds_that_are_not_distinct_positive_numbers_are_e021(settings, bounds):
    assert _ids({"METRICS_BUCKETS": bounds}, settings) == ["results_api.E021"]


@pytest.mark.parametrize("cap", [0, -1, "many", True])
def test_a_series_cap_that_is_not_a_positive_integer_is_e022(settings, cap):
    assert _ids({"METRICS_MAX_SERIES": cap}, settings) == ["results_api.E022"]


def test_a_short_metrics_token_is_w021(settings):
    assert _ids({"METRICS_TOKEN": "short"}, settings) == ["results_api.W021"]
