"""System checks of RESULTS_API."""

from __future__ import annotations

import pytest

from results_api.checks import check_results_api_settings


def _ids(settings_value, settings) -> list[str]:
    settings.RESULTS_API = settings_value
    return [error.id for error in check_results_api_settings()]


def test_default_settings_pass(db):
    assert check_results_api_settings() == []


def test_unknown_key_is_e001(settings):
    assert _ids({"PAGESIZE": 3}, settings) == ["results_api.E001"]


def test_unimportable_path_is_e002(settings):
    assert _ids({"CELERY_APP": "nowhere.app"}, settings) == ["results_api.E002"]


def test_a_scope_hook_in_results_api_is_e001_naming_the_stores_setting(settings):
    settings.RESULTS_API = {"SCOPE_QUERYSET": "tests.results_api.scopes.own_ids_only"}
    (error,) = check_results_api_settings()
    assert error.id == "results_api.E001"
    assert "CELERY_RESULTS_SCOPE_QUERYSET" in error.msg


@pytest.mark.parametrize(
    "value",
    [{"PAGE_SIZE": 0}, {"PAGE_SIZE": 600}, {"MAX_PAGE_SIZE": "many"}],
    ids=["zero", "above-max", "not-a-number"],
)
def test_bad_page_sizes_are_e003(settings, value):
    assert _ids(value, settings) == ["results_api.E003"]


def test_excluding_a_field_the_model_lacks_is_e004(settings):
    assert _ids({"EXCLUDE_FIELDS": ["tenantt"]}, settings) == ["results_api.E004"]


def test_excluding_an_extra_field_of_the_custom_model_passes(custom_model, settings):
    assert _ids({"EXCLUDE_FIELDS": ["tenant", "args"]}, settings) == []


@pytest.mark.parametrize(
    "rates",
    [{"reads": "1/minute"}, {"stats": "often"}, {"export": "1/"}, "60/minute"],
    ids=["unknown-scope", "unreadable", "no-period", "not-a-dict"],
)
def test_bad_throttle_rates_are_e005(settings, rates):
    assert _ids({"THROTTLE_RATES": rates}, settings) == ["results_api.E005"]


def test_a_rate_of_none_passes(settings, db):
    assert _ids({"THROTTLE_RATES": {"stats": None}}, settings) == []


@pytest.mark.parametrize(
    "value",
    [
        {"UPDATED_SINCE_OVERLAP": -1},
        {"UPDATED_SINCE_OVERLAP": "5"},
        {"EXPORT_CHUNK_SIZE": 0},
        {"TRACEBACK_PERMISSION": "{app}.view"},
        {"THROTTLE_CACHE": "nowhere"},
        {"ROLLUP_LAG": -1},
        {"ROLLUP_STEP": 0},
        {"TRACEBACK_PERMISSION_CACHE_SECONDS": -1},
    ],
    ids=[
        "negative-overlap",
        "text-overlap",
        "zero-chunk",
        "bad-field",
        "cache",
        "negative-lag",
        "zero-step",
        "negative-permission-cache",
    ],
)
def test_bad_operator_values_are_e006(settings, value):
    assert _ids(value, settings) == ["results_api.E006"]


@pytest.mark.parametrize("names", ["worker", ["status"], ["no_such_field"]])
def test_rollup_dimensions_that_are_not_fields_are_e008(settings, names):
    assert _ids({"ROLLUP_DIMENSIONS": names}, settings) == ["results_api.E008"]


def test_rollup_dimensions_naming_fields_pass(settings):
    assert _ids({"ROLLUP_DIMENSIONS": ["worker", "task_name"]}, settings) == []


@pytest.mark.parametrize(
    "value",
    [
        {"FILTER_CHOICES_LIMIT": -1},
        {"DASHBOARD_POLL_INTERVAL": 0.5},
        {"DASHBOARD_POLL_INTERVAL": "5"},
        {"DASHBOARD_API_URL": "/api/results"},
    ],
    ids=["negative-limit", "poll-too-fast", "poll-not-a-number", "api-url-without-slash"],
)
def test_bad_dashboard_values_are_e006(settings, value):
    assert _ids(value, settings) == ["results_api.E006"]


def test_dashboard_without_the_api_mounted_is_e010(settings):
    from results_api.checks import check_dashboard_finds_the_api

    settings.ROOT_URLCONF = "tests.results_api.urls_dashboard_only"
    assert [error.id for error in check_dashboard_finds_the_api()] == ["results_api.E010"]
    settings.RESULTS_API = {"DASHBOARD_API_URL": "/elsewhere/"}
    assert check_dashboard_finds_the_api() == []


def test_dashboard_with_the_api_mounted_passes():
    from results_api.checks import check_dashboard_finds_the_api

    assert check_dashboard_finds_the_api() == []
