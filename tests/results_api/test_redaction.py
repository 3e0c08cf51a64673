"""Redaction: secrets masked in args, kwargs, result in every output; tracebacks by permission."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from rest_framework.test import APIClient

from django_celery_results.models import get_task_result_model
from results_api.content.redaction import redact_data, redact_repr, traceback_permission

from .conftest import csv_rows, export_url, task_url, tasks_url

MASK = "********"
SECRET_KWARGS = "{'tenant_id': 3, 'password': 'hunter2', 'path': '/tmp'}"
SECRET_ARGS = "(1, {'token': 'abc123', 'n': 2})"
TRACEBACK = "Traceback (most recent call last):\n  File 'x'\nValueError: bad"


@pytest.fixture
def secret_task(make_task):
    return make_task(
        task_id="t-secret",
        status="FAILURE",
        task_args=json.dumps(SECRET_ARGS),
        task_kwargs=json.dumps(SECRET_KWARGS),
        result=json.dumps({"api_key": "k-999", "rows": 3}),
        traceback=TRACEBACK,
    )


def _assert_masked(text: str) -> None:
    for secret in ("hunter2", "abc123", "k-999"):
        assert secret not in text
    assert MASK in text


# Reprs and decoded data


def test_a_listed_key_is_masked_in_a_kwargs_repr():
    assert redact_repr(SECRET_KWARGS) == "{'tenant_id': 3, 'password': '********', 'path': '/tmp'}"


def test_keys_match_whatever_their_case():
    assert redact_repr("{'PassWord': 'x'}") == "{'PassWord': '********'}"


def test_a_dict_inside_positional_args_is_masked():
    assert redact_repr(SECRET_ARGS) == "(1, {'token': '********', 'n': 2})"


def test_a_repr_without_secrets_is_returned_as_stored():
    text = "(1,   'spaced' ,{'a':1})"
    assert redact_repr(text) is text


def test_an_unparsable_repr_has_simple_secret_values_masked_by_pattern():
    text = "{'password': 'hunter2', 'when': datetime.date(2024, 1, 1), 'n': -1.5}"
    assert redact_repr(text) == (
        "{'password': '********', 'when': datetime.date(2024, 1, 1), 'n': -1.5}"
    )


def test_an_unparsable_repr_whose_secret_value_is_not_simple_is_masked_whole():
    assert redact_repr("{'token': <Token abc123>, 'n': 1}") == MASK


def test_a_secret_value_cut_by_celery_masks_the_whole_repr():
    assert redact_repr("{'n': 1, 'password': 'hunter2hunter2") == MASK


def test_a_repr_cut_by_celery_that_parses_keeps_its_marks():
    text = "({'password': 'x', 'deep': [[...]]}, ...)"
    assert redact_repr(text) == "({'password': '********', 'deep': [[...]]}, ...)"


def test_the_hook_masks_more_keys(settings):
    settings.CELERY_RESULTS_REDACT_HOOK = lambda key: key.endswith("_dsn")
    assert redact_repr("{'db_dsn': 'pg://u:p@h', 'n': 1}") == "{'db_dsn': '********', 'n': 1}"


def test_the_mask_is_a_setting(settings):
    settings.CELERY_RESULTS_REDACT_MASK = "[hidden]"
    assert redact_repr("{'secret': 1}") == "{'secret': '[hidden]'}"


def test_no_keys_and_no_hook_mask_nothing(settings):
    settings.CELERY_RESULTS_REDACT_KEYS = []
    assert redact_repr(SECRET_KWARGS) == SECRET_KWARGS


def test_decoded_json_is_masked_at_any_depth():
    data = {"rows": [{"token": "t", "n": 1}], "auth": {"Authorization": "Bearer x"}}
    assert redact_data(data) == {
        "rows": [{"token": MASK, "n": 1}],
        "auth": {"Authorization": MASK},
    }


def test_a_json_string_is_data_not_a_repr():
    assert redact_data("{'password': 'x'}") == "{'password': 'x'}"


# Every output format


def test_json_list_is_redacted(staff_client, secret_task):
    response = staff_client.get(tasks_url())
    _assert_masked(response.content.decode())
    row = response.json()["results"][0]
    assert row["kwargs"] == "{'tenant_id': 3, 'password': '********', 'path': '/tmp'}"
    assert row["result"] == {"api_key": MASK, "rows": 3}


def test_json_detail_is_redacted(staff_client, secret_task):
    response = staff_client.get(task_url("t-secret"))
    _assert_masked(response.content.decode())
    assert response.json()["args"] == "(1, {'token': '********', 'n': 2})"


def test_a_bytes_key_in_an_arguments_repr_is_masked(staff_client, make_task):
    make_task(
        task_id="t-bytes",
        task_args=json.dumps("({b'password': 'hunter2'},)"),
        task_kwargs=json.dumps("{'cfg': {b'token': 'abc123'}}"),
    )

    row = staff_client.get(task_url("t-bytes")).json()

    assert row["args"] == "({b'password': '********'},)"
    assert row["kwargs"] == "{'cfg': {b'token': '********'}}"


def test_a_secret_key_written_with_escapes_in_stored_json_is_masked(staff_client, make_task):
    make_task(task_id="t-escaped", result='{"pass\\u0077ord": "hunter2", "T\\u004fKEN": "abc123"}')

    result = staff_client.get(task_url("t-escaped")).json()["result"]

    assert result == {"password": MASK, "TOKEN": MASK}


def test_a_fields_own_redaction_runs_whatever_the_keys(make_task, settings):
    from results_api.rest.serializers import StoredContentField

    settings.CELERY_RESULTS_REDACT_KEYS = []
    settings.CELERY_RESULTS_REDACT_HOOK = None
    field = StoredContentField(source="result", redact=lambda value: {"card": "****"})

    assert field.to_representation('{"card": "4111111111111111"}') == {"card": "****"}


def test_a_stored_result_naming_no_secret_is_shown_as_stored(staff_client, make_task):
    make_task(task_id="t-plain", result='{"rows": 3, "nested": {"path": "/tmp"}}')

    assert staff_client.get(task_url("t-plain")).json()["result"] == {
        "rows": 3,
        "nested": {"path": "/tmp"},
    }


def test_csv_export_is_redacted(staff_client, secret_task):
    response = staff_client.get(export_url())
    (row,) = csv_rows(response)
    assert row["kwargs"] == "{'tenant_id': 3, 'password': '********', 'path': '/tmp'}"
    assert json.loads(row["result"]) == {"api_key": MASK, "rows": 3}
    for value in row.values():
        assert "hunter2" not in value and "abc123" not in value


@pytest.mark.parametrize("url", [tasks_url(), task_url("t-secret")], ids=["list", "detail"])
def test_browsable_api_html_is_redacted(staff_client, secret_task, url):
    response = staff_client.get(url, HTTP_ACCEPT="text/html")
    assert response["Content-Type"].startswith("text/html")
    _assert_masked(response.content.decode())


# Tracebacks


def _grant_view(user):
    model = get_task_result_model()
    permission = Permission.objects.get(
        content_type=ContentType.objects.get_for_model(model),
        codename=f"view_{model._meta.model_name}",
    )
    user.user_permissions.add(permission)


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    return client


def test_default_traceback_permission_is_the_active_models_view_permission():
    model = get_task_result_model()
    assert traceback_permission(model) == f"{model._meta.app_label}.view_taskresult"


def test_traceback_is_null_for_staff_without_the_permission(staff_client, secret_task):
    assert staff_client.get(task_url("t-secret")).json()["traceback"] is None
    assert staff_client.get(tasks_url()).json()["results"][0]["traceback"] is None
    (row,) = csv_rows(staff_client.get(export_url()))
    assert row["traceback"] == ""
    html = staff_client.get(tasks_url(), HTTP_ACCEPT="text/html").content.decode()
    assert "ValueError: bad" not in html


def test_traceback_is_shown_to_staff_with_the_permission(staff_user, secret_task):
    _grant_view(staff_user)
    client = _client(staff_user)
    assert client.get(task_url("t-secret")).json()["traceback"] == TRACEBACK
    (row,) = csv_rows(client.get(export_url()))
    assert row["traceback"] == TRACEBACK


def test_traceback_is_shown_to_a_superuser(db, secret_task):
    admin = get_user_model().objects.create_superuser("root", password="x")
    assert _client(admin).get(task_url("t-secret")).json()["traceback"] == TRACEBACK


def test_traceback_permission_none_shows_it_to_every_reader(staff_client, secret_task, settings):
    settings.RESULTS_API = {"TRACEBACK_PERMISSION": None}
    assert staff_client.get(task_url("t-secret")).json()["traceback"] == TRACEBACK


def test_traceback_permission_names_any_permission(staff_user, secret_task, settings):
    settings.RESULTS_API = {"TRACEBACK_PERMISSION": "auth.view_user"}
    staff_user.user_permissions.add(Permission.objects.get(codename="view_user"))
    assert _client(staff_user).get(task_url("t-secret")).json()["traceback"] == TRACEBACK


def test_rows_without_traceback_cost_no_permission_query(
    staff_client, make_task, django_assert_num_queries
):
    make_task(task_id="t-1")
    with django_assert_num_queries(1):
        staff_client.get(task_url("t-1"))


# Masking gaps: meta, keywords inside object reprs


def test_meta_is_masked_like_the_other_stored_content(staff_client, make_task):
    make_task(task_id="t-meta", meta=json.dumps({"children": [], "password": "hunter2"}))

    body = staff_client.get(task_url("t-meta")).json()

    assert body["meta"] == {"children": [], "password": MASK}


def test_meta_is_masked_in_the_csv_export(staff_client, make_task):
    make_task(task_id="t-meta", meta=json.dumps({"token": "abc123"}))

    (row,) = csv_rows(staff_client.get(export_url()))

    assert json.loads(row["meta"]) == {"token": MASK}


def test_a_secret_keyword_inside_an_object_repr_is_masked():
    text = "{'creds': Creds(user='u', password='hunter2'), 'n': 1}"
    assert redact_repr(text) == "{'creds': Creds(user='u', password='********'), 'n': 1}"


def test_a_secret_keyword_in_positional_args_is_masked():
    assert redact_repr("(Creds(user='u', token=12345),)") == "(Creds(user='u', token='********'),)"


def test_a_secret_keyword_whose_value_is_not_simple_masks_the_whole_repr():
    assert redact_repr("(Creds(user='u', password=Secret('x')),)") == MASK


def test_a_keyword_inside_a_string_is_free_text_and_left_as_it_is():
    assert redact_repr("('login with password=x',)") == "('login with password=x',)"


def test_a_comparison_is_no_keyword():
    assert redact_repr("(Check(a == b, token == 1),)") == "(Check(a == b, token == 1),)"


def test_the_api_masks_by_the_stores_rules(settings):
    settings.CELERY_RESULTS_REDACT_KEYS = ["pin"]
    assert redact_repr("{'pin': 1234, 'password': 'x'}") == "{'pin': '********', 'password': 'x'}"
