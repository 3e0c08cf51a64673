"""POST revoke and retry: off by default, guarded, scoped, and retry only with trusted arguments."""

from __future__ import annotations

import json
import math
import time
from unittest import mock

import pytest
from celery import states
from celery.utils.saferepr import saferepr
from django.contrib.auth import get_user_model
from kombu.exceptions import EncodeError, OperationalError
from rest_framework.test import APIClient

from django_celery_results.models import get_task_result_model

from .conftest import action_url, task_url

ACTIONS = ["revoke", "retry"]


@pytest.fixture
def app() -> mock.Mock:
    """A stand-in Celery app that records what the actions send."""
    return mock.Mock(name="celery_app")


@pytest.fixture
def enabled(settings, app):
    settings.RESULTS_API = {"REVOKE_ENABLED": True, "RETRY_ENABLED": True, "CELERY_APP": app}


def failed_task(make_task, args="(2, 3)", kwargs="{'tenant_id': 7}", **values):
    values.setdefault("status", states.FAILURE)
    values.setdefault("task_args", None if args is None else json.dumps(args))
    values.setdefault("task_kwargs", None if kwargs is None else json.dumps(kwargs))
    return make_task(task_id="t-1", task_name="tests.testapp.tasks.add", **values)


# Off by default, and guarded


@pytest.mark.parametrize("name", ACTIONS)
def test_an_action_is_off_by_default_even_for_a_superuser(
    superuser_client, make_task, settings, app, name
):
    settings.RESULTS_API = {"CELERY_APP": app}
    failed_task(make_task)
    response = superuser_client.post(action_url("t-1", name))
    assert response.status_code == 404
    assert not app.method_calls


def test_revoke_is_denied_by_default_to_a_reader_who_is_not_staff(make_task, settings, app, db):
    settings.RESULTS_API = {
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "REVOKE_ENABLED": True,
        "CELERY_APP": app,
    }
    failed_task(make_task)
    reader = APIClient()
    reader.force_authenticate(get_user_model().objects.create_user("reader"))
    assert reader.get(task_url("t-1")).status_code == 200
    assert reader.post(action_url("t-1", "revoke")).status_code == 403
    assert not app.control.revoke.called


def test_the_browsable_api_links_only_the_actions_that_are_on(
    staff_client, make_task, settings, app
):
    failed_task(make_task)
    settings.RESULTS_API = {"RETRY_ENABLED": True, "CELERY_APP": app}
    html = staff_client.get(task_url("t-1"), HTTP_ACCEPT="text/html").content.decode()
    assert action_url("t-1", "retry") in html
    assert action_url("t-1", "revoke") not in html


@pytest.mark.parametrize("name", ACTIONS)
def test_an_action_is_guarded_by_its_own_permission_classes(
    staff_client, make_task, settings, app, name
):
    settings.RESULTS_API = {
        f"{name.upper()}_ENABLED": True,
        f"{name.upper()}_PERMISSION_CLASSES": ["tests.results_api.test_actions.DenyAll"],
        "CELERY_APP": app,
    }
    failed_task(make_task)
    assert staff_client.post(action_url("t-1", name)).status_code == 403
    assert not app.method_calls


class DenyAll:
    """A permission class that refuses everyone."""

    def has_permission(self, request, view):
        return False

    def has_object_permission(self, request, view, obj):
        return False


@pytest.mark.parametrize("name", ACTIONS)
def test_an_action_needs_the_read_permission_too(anonymous_client, make_task, enabled, name):
    failed_task(make_task)
    assert anonymous_client.post(action_url("t-1", name)).status_code in (401, 403)


@pytest.mark.parametrize("name", ACTIONS)
def test_an_action_on_a_task_outside_the_scope_is_a_404(make_task, settings, app, db, name):
    settings.RESULTS_API = {
        f"{name.upper()}_ENABLED": True,
        "CELERY_APP": app,
    }
    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.own_ids_only"
    make_task(task_id="bob-1", status=states.FAILURE)
    alice = APIClient()
    alice.force_authenticate(get_user_model().objects.create_user("alice", is_staff=True))
    assert alice.post(action_url("bob-1", name)).status_code == 404
    assert not app.method_calls


@pytest.mark.parametrize("name", ACTIONS)
def test_an_action_on_an_unknown_task_is_a_404(staff_client, enabled, app, name):
    assert staff_client.post(action_url("nope", name)).status_code == 404
    assert not app.method_calls


@pytest.mark.parametrize("name", ACTIONS)
def test_an_action_takes_only_post(staff_client, make_task, enabled, name):
    failed_task(make_task)
    assert staff_client.get(action_url("t-1", name)).status_code == 405


# Revoke


def test_revoke_asks_the_workers_to_revoke_the_task(staff_client, make_task, enabled, app):
    failed_task(make_task, status=states.STARTED)
    response = staff_client.post(action_url("t-1", "revoke"))
    assert response.status_code == 202
    assert response.json() == {"task_id": "t-1", "terminate": False}
    app.control.revoke.assert_called_once_with("t-1", terminate=False)


def test_revoke_with_terminate_terminates(staff_client, make_task, enabled, app):
    failed_task(make_task, status=states.STARTED)
    response = staff_client.post(action_url("t-1", "revoke"), {"terminate": True}, format="json")
    assert response.json() == {"task_id": "t-1", "terminate": True}
    app.control.revoke.assert_called_once_with("t-1", terminate=True)


def test_revoke_with_a_bad_terminate_is_a_400_naming_it(staff_client, make_task, enabled, app):
    failed_task(make_task)
    response = staff_client.post(action_url("t-1", "revoke"), {"terminate": "maybe"}, "json")
    assert response.status_code == 400
    assert set(response.json()) == {"terminate"}
    assert not app.method_calls


@pytest.mark.parametrize("name", ACTIONS)
def test_an_unreachable_broker_is_a_503(staff_client, make_task, enabled, app, name):
    failed_task(make_task)
    app.control.revoke.side_effect = app.send_task.side_effect = OperationalError("refused")
    response = staff_client.post(action_url("t-1", name))
    assert response.status_code == 503
    assert "refused" in response.json()["detail"]


def test_the_celery_app_setting_takes_a_dotted_path(staff_client, make_task, settings):
    settings.RESULTS_API = {"REVOKE_ENABLED": True, "CELERY_APP": "tests.celery_app.app"}
    failed_task(make_task)
    with mock.patch("tests.celery_app.app.control.revoke") as revoke:
        assert staff_client.post(action_url("t-1", "revoke")).status_code == 202
    revoke.assert_called_once_with("t-1", terminate=False)


# Retry


def test_retry_sends_the_task_by_name_with_its_stored_arguments(
    staff_client, make_task, enabled, app
):
    failed_task(make_task, args="(2, 'pdf', [1.5, None])", kwargs="{'tenant_id': 7, 'x': True}")
    response = staff_client.post(action_url("t-1", "retry"))
    assert response.status_code == 202
    body = response.json()
    assert body["retry_of"] == "t-1"
    app.send_task.assert_called_once_with(
        "tests.testapp.tasks.add",
        args=(2, "pdf", [1.5, None]),
        kwargs={"tenant_id": 7, "x": True},
        task_id=body["task_id"],
        headers={"retry_of": "t-1"},
    )
    assert body["task_id"] != "t-1"


def test_retry_takes_arguments_stored_as_json_values(staff_client, make_task, enabled, app):
    failed_task(make_task)
    get_task_result_model()._default_manager.filter(task_id="t-1").update(
        task_args=json.dumps([1, "a\\b"]), task_kwargs=json.dumps({"k": "v"})
    )
    assert staff_client.post(action_url("t-1", "retry")).status_code == 202
    assert app.send_task.call_args.kwargs["args"] == [1, "a\\b"]


def test_retry_resends_nan_and_infinity_as_stored_while_the_api_shows_null(
    staff_client, make_task, enabled, app
):
    failed_task(make_task)
    get_task_result_model()._default_manager.filter(task_id="t-1").update(
        task_args="[NaN, Infinity, -Infinity, 1]", task_kwargs='{"k": NaN}'
    )
    assert staff_client.get(task_url("t-1")).json()["args"] == [
        None,
        None,
        None,
        1,
    ]

    assert staff_client.post(action_url("t-1", "retry")).status_code == 202
    sent = app.send_task.call_args.kwargs
    assert math.isnan(sent["args"][0]) and sent["args"][1:] == [math.inf, -math.inf, 1]
    assert math.isnan(sent["kwargs"]["k"])


@pytest.mark.parametrize("status", [states.SUCCESS, states.FAILURE, states.REVOKED])
def test_retry_takes_a_finished_task(staff_client, make_task, enabled, app, status):
    failed_task(make_task, status=status)
    assert staff_client.post(action_url("t-1", "retry")).status_code == 202


def assert_conflict(response, app, *words: str) -> None:
    assert response.status_code == 409, response.content
    detail = response.json()["detail"]
    for word in words:
        assert word in detail, detail
    assert not app.send_task.called


@pytest.mark.parametrize("status", [states.PENDING, states.STARTED, states.RETRY])
def test_retry_of_an_unfinished_task_is_a_409(staff_client, make_task, enabled, app, status):
    failed_task(make_task, status=status)
    assert_conflict(staff_client.post(action_url("t-1", "retry")), app, "finished", status)


def test_retry_refuses_args_that_celery_truncated(staff_client, make_task, enabled, app):
    failed_task(make_task, args=saferepr(tuple(["ab"] * 1000), 1024))  # '..., 'ab', ...)'
    response = staff_client.post(action_url("t-1", "retry"))
    assert_conflict(response, app, "positional arguments", "cut short")


def test_retry_refuses_a_string_that_celery_truncated(staff_client, make_task, enabled, app):
    failed_task(make_task, kwargs=saferepr({"body": "x" * 5000}, 1024))
    response = staff_client.post(action_url("t-1", "retry"))
    assert_conflict(response, app, "keyword arguments", "cut short")


def test_retry_refuses_a_repr_that_is_no_literal(staff_client, make_task, enabled, app):
    failed_task(make_task, args="(<object object at 0x7f>,)")
    response = staff_client.post(action_url("t-1", "retry"))
    assert_conflict(response, app, "not a Python literal")


def test_retry_refuses_backslashes_saferepr_left_unescaped(staff_client, make_task, enabled, app):
    failed_task(make_task, args=saferepr(("C:\\temp",), 1024))
    response = staff_client.post(action_url("t-1", "retry"))
    assert_conflict(response, app, "not an exact repr")


def test_retry_without_stored_arguments_is_a_409(staff_client, make_task, enabled, app):
    failed_task(make_task, args=None)
    response = staff_client.post(action_url("t-1", "retry"))
    assert_conflict(response, app, "not stored", "result_extended")


def test_retry_of_pickled_arguments_is_a_409(staff_client, make_task, enabled, app):
    failed_task(
        make_task,
        content_type="application/x-python-serialize",
        task_args="gASVAA==",
        task_kwargs="gASVAA==",
    )
    response = staff_client.post(action_url("t-1", "retry"))
    assert_conflict(response, app, "application/x-python-serialize", "never decodes")


def test_retry_without_a_task_name_is_a_409(staff_client, make_task, enabled, app):
    failed_task(make_task)
    get_task_result_model()._default_manager.filter(task_id="t-1").update(task_name=None)
    assert_conflict(staff_client.post(action_url("t-1", "retry")), app, "name")


def test_retry_of_arguments_the_broker_cannot_encode_is_a_409(
    staff_client, make_task, enabled, app
):
    failed_task(make_task, args="({1, 2},)")
    app.send_task.side_effect = EncodeError("set is not JSON serializable")
    response = staff_client.post(action_url("t-1", "retry"))
    assert response.status_code == 409
    assert "cannot be encoded" in response.json()["detail"]


def test_a_conflict_message_never_shows_the_arguments(staff_client, make_task, enabled, app):
    failed_task(make_task, kwargs="{'password': 'hunter2', 'x': <Object>}")
    response = staff_client.post(action_url("t-1", "retry"))
    assert response.status_code == 409
    assert "hunter2" not in response.content.decode()


# Through a real worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_retry_runs_the_task_again_on_a_real_worker(
    celery_worker_process, celery_app, tenant, settings
):
    from tests.testapp.tasks import add

    settings.RESULTS_API = {"RETRY_ENABLED": True, "CELERY_APP": celery_app}
    model = get_task_result_model()
    original = add.apply_async((2, 3), {"tenant_id": tenant.pk})
    assert original.get(timeout=60) == 5
    admin = APIClient()
    admin.force_authenticate(get_user_model().objects.create_superuser("root"))

    response = admin.post(action_url(original.id, "retry"))

    assert response.status_code == 202, response.content
    new_id = response.json()["task_id"]
    assert response.json() == {"task_id": new_id, "retry_of": original.id}
    assert celery_app.AsyncResult(new_id).get(timeout=60) == 5
    old, new = (model._default_manager.get(task_id=task_id) for task_id in (original.id, new_id))
    deadline = time.monotonic() + 10  # the result is read before the row's last write returns
    while new.status != states.SUCCESS and time.monotonic() < deadline:
        new.refresh_from_db()
    assert (new.task_name, new.task_args, new.task_kwargs) == (
        old.task_name,
        old.task_args,
        old.task_kwargs,
    )
    if hasattr(new, "tenant_id"):  # the swapped model stores the tenant_id kwarg
        assert new.tenant_id == old.tenant_id == tenant.pk


# Hostile bodies: any bytes are a 400 naming the body, never a 500

HOSTILE_BODIES = {
    "deeply-nested": "[" * 100_000 + "]" * 100_000,
    "deeply-nested-value": '{"terminate": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "not-utf-8": b'{"terminate": "\xff\xfe"}',
    "lone-surrogate": '{"terminate": "\\ud800"}',
    "overflowing-number": '{"terminate": 1e999}',
    "not-json": b"\x00\x01{",
}


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_a_hostile_revoke_body_is_a_400(superuser_client, make_task, enabled, app, body):
    make_task(task_id="t-1", status=states.STARTED)
    superuser_client.raise_request_exception = False

    response = superuser_client.post(
        action_url("t-1", "revoke"), body, content_type="application/json"
    )

    assert response.status_code == 400, response.content[:300]
    assert not app.control.revoke.called


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_a_hostile_retry_body_is_never_a_5xx(superuser_client, make_task, enabled, body):
    failed_task(make_task)
    superuser_client.raise_request_exception = False

    response = superuser_client.post(
        action_url("t-1", "retry"), body, content_type="application/json"
    )

    assert response.status_code < 500, response.content[:300]
