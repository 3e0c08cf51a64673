"""Representation and decoding: JSON is decoded, anything else is null, never unpickled."""

from __future__ import annotations

import base64
import datetime
import json
import pickle

import pytest
from celery import states
from django.db import models
from django.test.utils import isolate_apps
from rest_framework import serializers as drf_serializers

from django_celery_results.models import get_task_result_model
from django_celery_results.models.abstract import AbstractTaskResult
from results_api.rest.serializers import TaskResultSerializer, get_task_serializer_class

from .conftest import task_url

CONTENT_FIELDS = ("args", "kwargs", "result", "meta")


class Boom:
    """Unpickling this would run code: the API must never do it."""

    def __reduce__(self):
        return (pytest.fail, ("the API unpickled stored content",))


def _get(client, task_id: str) -> dict:
    response = client.get(task_url(task_id))
    assert response.status_code == 200, response.content
    return response.json()


def test_json_content_is_decoded(staff_client, make_task):
    make_task(
        task_id="t-1",
        result=json.dumps({"total": 3}),
        meta=json.dumps({"children": []}),
        task_args=json.dumps([1, 2]),
        task_kwargs=json.dumps({"x": 1}),
    )
    row = _get(staff_client, "t-1")
    assert row["result"] == {"total": 3}
    assert row["meta"] == {"children": []}
    assert (row["args"], row["kwargs"]) == ([1, 2], {"x": 1})


def test_stored_through_the_backend_args_and_kwargs_are_the_repr_strings(
    staff_client, backend, make_request, db
):
    request = make_request(task_id="t-1", args=(1, 2), kwargs={"y": 3})
    backend.store_result("t-1", 3, states.SUCCESS, request=request)
    row = _get(staff_client, "t-1")
    assert row["result"] == 3
    assert row["args"] == "(1, 2)"
    assert row["kwargs"] == "{'y': 3}"
    assert row["content_type"] == "application/json"
    assert row["task_name"] == "tests.testapp.tasks.add"


@pytest.mark.parametrize(
    "content_type",
    ["application/x-python-serialize", "application/x-yaml", "application/x-msgpack"],
)
def test_non_json_content_is_null_with_its_content_type(staff_client, make_task, content_type):
    payload = base64.b64encode(pickle.dumps(Boom())).decode()
    make_task(
        task_id="t-1",
        content_type=content_type,
        content_encoding="binary",
        result=payload,
        meta=payload,
        task_args=payload,
        task_kwargs=payload,
    )
    row = _get(staff_client, "t-1")
    assert [row[name] for name in CONTENT_FIELDS] == [None] * 4
    assert row["content_type"] == content_type


def test_pickle_stored_through_the_backend_is_never_decoded(
    staff_client, backend, make_request, db, monkeypatch
):
    monkeypatch.setattr(backend, "serializer", "pickle")
    monkeypatch.setattr(backend, "accept", {"application/json", "application/x-python-serialize"})
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    backend.store_result("t-1", {"secret": 1}, states.SUCCESS, request=make_request(task_id="t-1"))
    row = _get(staff_client, "t-1")
    assert row["content_type"] == "application/x-python-serialize"
    assert [row[name] for name in CONTENT_FIELDS] == [None] * 4


@pytest.mark.parametrize("stored", ["{not json", "", "\x01\x02", "[1, 2"])
def test_undecodable_json_content_is_null(staff_client, make_task, stored):
    make_task(task_id="t-1", result=stored, meta=stored, task_args=stored, task_kwargs=stored)
    row = _get(staff_client, "t-1")
    assert [row[name] for name in CONTENT_FIELDS] == [None] * 4


def test_nan_and_infinity_in_json_content_are_null(staff_client, make_task):
    make_task(task_id="t-1", result='{"ratio": NaN, "max": Infinity, "ok": 1}')
    assert _get(staff_client, "t-1")["result"] == {"ratio": None, "max": None, "ok": 1}


def test_null_content_is_null(staff_client, make_task):
    make_task(task_id="t-1", result=None, meta=None, task_args=None, task_kwargs=None)
    row = _get(staff_client, "t-1")
    assert [row[name] for name in CONTENT_FIELDS] == [None] * 4


def test_runtime_is_seconds_from_start_to_done(staff_client, make_task):
    row = make_task(task_id="t-1", status="SUCCESS")
    started = row.date_done - datetime.timedelta(seconds=2.5)
    get_task_result_model()._default_manager.filter(pk=row.pk).update(date_started=started)
    assert _get(staff_client, "t-1")["runtime"] == pytest.approx(2.5)


def test_runtime_is_null_without_a_start(staff_client, make_task):
    make_task(task_id="t-1", status="SUCCESS", date_started=None)
    assert _get(staff_client, "t-1")["runtime"] is None


def test_runtime_is_null_while_the_task_runs(staff_client, make_task):
    row = make_task(task_id="t-1", status="STARTED")
    get_task_result_model()._default_manager.filter(pk=row.pk).update(
        date_started=row.date_done - datetime.timedelta(seconds=1)
    )
    assert _get(staff_client, "t-1")["runtime"] is None


def test_dates_are_iso_8601_with_time_zone(staff_client, make_task):
    make_task(task_id="t-1")
    value = _get(staff_client, "t-1")["date_created"]
    assert datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def test_serializer_is_named_after_the_model_and_cached(custom_model):
    serializer = get_task_serializer_class(custom_model)
    assert serializer.__name__ == "TaskResultSerializer"
    assert issubclass(serializer, TaskResultSerializer)
    assert serializer.Meta.model is custom_model
    assert get_task_serializer_class(custom_model) is serializer
    assert {"tenant", "priority", "attempt"} <= set(serializer().fields)


def test_serializer_base_class_comes_from_settings(staff_client, custom_model, make_task, settings):
    settings.RESULTS_API = {
        "TASK_SERIALIZER_CLASS": "tests.results_api.test_serializers.ShoutingSerializer"
    }
    make_task(task_id="t-1")
    row = _get(staff_client, "t-1")
    assert row["shout"] == "T-1"
    assert row["label"] == "<Task: t-1 (SUCCESS)>"
    assert "tenant" in row


def test_each_request_gets_its_own_copy_of_the_fields(custom_model):
    serializer_class = get_task_serializer_class(custom_model)
    first, second = serializer_class().fields, serializer_class().fields
    assert first.keys() == second.keys()
    assert all(first[name] is not second[name] for name in first)
    assert first["status"].parent is not second["status"].parent


def test_a_field_holding_another_field_is_copied_with_it(custom_model):
    class TaggedSerializer(get_task_serializer_class(custom_model)):
        tags = drf_serializers.ListField(child=drf_serializers.CharField(), read_only=True)

        class Meta(get_task_serializer_class(custom_model).Meta):
            fields = (*get_task_serializer_class(custom_model).Meta.fields, "tags")

    first, second = TaggedSerializer().fields["tags"], TaggedSerializer().fields["tags"]
    assert first.child is not second.child
    assert (first.child.parent, second.child.parent) == (first, second)


def test_a_field_a_subclass_gives_per_request_is_shown_as_that_request_asks(
    custom_model, make_task
):
    row = make_task(task_id="t-1", task_name="secret.task")

    class ByAudienceSerializer(get_task_serializer_class(custom_model)):
        def get_fields(self):
            fields = super().get_fields()
            if not self.context.get("staff"):
                fields["task_name"] = drf_serializers.SerializerMethodField()
            return fields

        def get_task_name(self, instance) -> str:
            return "hidden"

    shown = [
        ByAudienceSerializer(row, context={"staff": staff}).data["task_name"]
        for staff in (True, False, True)
    ]
    assert shown == ["secret.task", "hidden", "secret.task"]


@isolate_apps("tests.testapp")
def test_a_text_field_that_reads_another_type_from_the_database_is_shown_as_text():
    class Code:
        def __str__(self) -> str:
            return "CODE-7"

    class CodeField(models.CharField):
        """A project's text field whose values are objects in Python."""

    class CodedTaskResult(AbstractTaskResult):
        code = CodeField(max_length=20, null=True)

        class Meta(AbstractTaskResult.Meta):
            app_label = "testapp"

    row = CodedTaskResult(task_id="t-1", status="SUCCESS", code=Code())

    assert get_task_serializer_class(CodedTaskResult)(row).data["code"] == "CODE-7"


def test_dates_are_in_the_current_time_zone(staff_client, make_task, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    make_task(task_id="t-1")
    assert _get(staff_client, "t-1")["date_created"].endswith("+09:00")


class ShoutingSerializer(TaskResultSerializer):
    """A project's own base serializer with one more field."""

    shout = drf_serializers.SerializerMethodField()
    # A model method as the source: called, not read as a column.
    label = drf_serializers.CharField(source="__str__", read_only=True)

    class Meta(TaskResultSerializer.Meta):
        fields = (*TaskResultSerializer.Meta.fields, "shout", "label")

    def get_shout(self, instance) -> str:
        return instance.task_id.upper()
