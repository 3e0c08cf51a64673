"""Throttles per endpoint scope: over the rate, a 429 with Retry-After."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from rest_framework.test import APIClient

from results_api.conf import DEFAULTS
from results_api.rest.throttling import EndpointRateThrottle, throttle_rates

from .conftest import action_url, export_url, group_url, stats_url, task_url, tasks_url


def per_second(rate: str) -> float:
    number, seconds = EndpointRateThrottle().parse_rate(rate)
    return number / seconds


def test_stats_and_export_are_throttled_more_tightly_than_the_list():
    rates = DEFAULTS["THROTTLE_RATES"]
    assert per_second(rates["stats"]) < per_second(rates["read"])
    assert per_second(rates["export"]) < per_second(rates["stats"])
    assert per_second(rates["actions"]) < per_second(rates["read"])


def test_the_projects_rates_replace_only_the_scopes_they_name(settings):
    settings.RESULTS_API = {"THROTTLE_RATES": {"stats": "5/minute"}}
    assert throttle_rates() == {**DEFAULTS["THROTTLE_RATES"], "stats": "5/minute"}


SCOPES = {
    "list": ("read", tasks_url()),
    "detail": ("read", task_url("t-1")),
    "groups": ("read", group_url("g-1")),
    "stats": ("stats", stats_url()),
    "export": ("export", export_url()),
}


@pytest.mark.parametrize(("scope", "url"), SCOPES.values(), ids=SCOPES.keys())
def test_a_request_over_its_scopes_rate_is_a_429_with_retry_after(
    staff_client, make_task, make_group, settings, scope, url
):
    settings.RESULTS_API = {"THROTTLE_RATES": {scope: "2/minute"}}
    make_task(task_id="t-1")
    make_group(group_id="g-1")
    assert [staff_client.get(url).status_code for _ in range(2)] == [200, 200]
    response = staff_client.get(url)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"].lower()


def test_actions_are_throttled(staff_client, make_task, settings):
    settings.RESULTS_API = {
        "REVOKE_ENABLED": True,
        "CELERY_APP": mock.Mock(),
        "THROTTLE_RATES": {"actions": "1/minute"},
    }
    make_task(task_id="t-1")
    assert staff_client.post(action_url("t-1", "revoke")).status_code == 202
    assert staff_client.post(action_url("t-1", "revoke")).status_code == 429


def test_each_scope_counts_on_its_own(staff_client, make_task, settings):
    settings.RESULTS_API = {"THROTTLE_RATES": {"stats": "1/minute", "read": "1/minute"}}
    assert staff_client.get(stats_url()).status_code == 200
    assert staff_client.get(stats_url()).status_code == 429
    assert staff_client.get(tasks_url()).status_code == 200


def test_each_user_counts_on_its_own(staff_client, settings, db):
    settings.RESULTS_API = {"THROTTLE_RATES": {"read": "1/minute"}}
    other = APIClient()
    other.force_authenticate(get_user_model().objects.create_user("other", is_staff=True))
    assert staff_client.get(tasks_url()).status_code == 200
    assert staff_client.get(tasks_url()).status_code == 429
    assert other.get(tasks_url()).status_code == 200


def test_anonymous_clients_count_by_address(anonymous_client, settings, db):
    settings.RESULTS_API = {
        "PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
        "THROTTLE_RATES": {"read": "1/minute"},
    }
    assert anonymous_client.get(tasks_url(), REMOTE_ADDR="10.0.0.1").status_code == 200
    assert anonymous_client.get(tasks_url(), REMOTE_ADDR="10.0.0.1").status_code == 429
    assert anonymous_client.get(tasks_url(), REMOTE_ADDR="10.0.0.2").status_code == 200


def test_a_rate_of_none_lifts_the_limit(staff_client, settings, db):
    settings.RESULTS_API = {"THROTTLE_RATES": {"stats": None}}
    with mock.patch.dict(DEFAULTS["THROTTLE_RATES"], {"stats": "1/minute"}):
        assert {staff_client.get(stats_url()).status_code for _ in range(3)} == {200}


def test_no_throttle_classes_turn_throttling_off(staff_client, settings, db):
    settings.RESULTS_API = {"THROTTLE_CLASSES": [], "THROTTLE_RATES": {"read": "1/minute"}}
    assert {staff_client.get(tasks_url()).status_code for _ in range(3)} == {200}


def test_throttles_count_in_the_cache_the_settings_name(staff_client, staff_user, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttles": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "throttles",
        },
    }
    settings.RESULTS_API = {"THROTTLE_CACHE": "throttles"}
    staff_client.get(tasks_url())
    key = f"results_api_throttle_read_user-{staff_user.pk}"
    assert caches["throttles"].get(key)
    caches["throttles"].clear()


def basic_auth(username: str, password: str) -> dict[str, str]:
    import base64

    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


@pytest.fixture
def guessed_user(db):
    caches["default"].clear()
    get_user_model().objects.create_user("ops", password="right-one", is_staff=True)
    yield
    caches["default"].clear()


def test_wrong_passwords_past_the_limit_lock_the_address_out_even_with_the_right_one(
    guessed_user, settings
):
    settings.RESULTS_API = {"THROTTLE_RATES": {"auth_failures": "5/minute"}}
    client = APIClient()
    wrong = [
        client.get(tasks_url(), **basic_auth("ops", f"guess-{n}")).status_code for n in range(5)
    ]

    response = client.get(tasks_url(), **basic_auth("ops", "right-one"))

    assert set(wrong) <= {401, 403}
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60


def test_the_right_password_works_under_the_failed_log_ins_limit(guessed_user, settings):
    settings.RESULTS_API = {"THROTTLE_RATES": {"auth_failures": "5/minute"}}
    client = APIClient()
    for n in range(4):
        client.get(tasks_url(), **basic_auth("ops", f"guess-{n}"))

    assert client.get(tasks_url(), **basic_auth("ops", "right-one")).status_code == 200


def test_failed_log_ins_count_per_address(guessed_user, settings):
    settings.RESULTS_API = {"THROTTLE_RATES": {"auth_failures": "2/minute"}}
    client = APIClient()
    for n in range(2):
        client.get(tasks_url(), REMOTE_ADDR="10.0.0.1", **basic_auth("ops", f"guess-{n}"))

    elsewhere = client.get(tasks_url(), REMOTE_ADDR="10.0.0.2", **basic_auth("ops", "right-one"))

    assert elsewhere.status_code == 200


def test_requests_without_credentials_are_no_failed_log_ins(guessed_user, settings):
    settings.RESULTS_API = {"THROTTLE_RATES": {"auth_failures": "2/minute"}}
    client = APIClient()
    for _ in range(3):
        client.get(tasks_url())

    assert client.get(tasks_url(), **basic_auth("ops", "right-one")).status_code == 200


def test_a_forged_forwarded_for_header_neither_escapes_nor_moves_the_count(guessed_user, settings):
    settings.RESULTS_API = {"THROTTLE_RATES": {"auth_failures": "2/minute"}}
    client = APIClient()
    for n in range(2):
        forged = {"HTTP_X_FORWARDED_FOR": f"9.9.9.{n}", **basic_auth("ops", f"guess-{n}")}
        client.get(tasks_url(), REMOTE_ADDR="6.6.6.6", **forged)

    again = client.get(tasks_url(), REMOTE_ADDR="6.6.6.6", **basic_auth("ops", "right-one"))
    victim = client.get(
        tasks_url(),
        REMOTE_ADDR="9.9.9.0",
        HTTP_X_FORWARDED_FOR="9.9.9.0",
        **basic_auth("ops", "right-one"),
    )

    assert again.status_code == 429
    assert victim.status_code == 200
