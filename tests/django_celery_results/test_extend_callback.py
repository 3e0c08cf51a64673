"""The extend-task-props callback: extra values stored in the same row and statement.

Whatever the callback does wrong, the task's own result is still stored.
"""

import logging

import pytest
from celery import states
from django.db import connection, models
from django.test.utils import CaptureQueriesContext, isolate_apps, override_settings

from django_celery_results.extension import extend_task_properties
from django_celery_results.models.abstract import AbstractTaskResult
from tests.testapp.models import TaskResult as CustomTaskResult
from tests.testapp.results import extend_task_props

pytestmark = pytest.mark.django_db

CUSTOM = {"CELERY_RESULTS_TASKRESULT_MODEL": "testapp.TaskResult"}


def with_callback(callback):
    return override_settings(**CUSTOM, CELERY_RESULTS_EXTEND_TASK_PROPS_CALLBACK=callback)


def seed_callback(request, task_properties):
    """The callback exactly as the user's documentation page writes it."""
    task_kwargs = getattr(request, "kwargs", None)

    return {"tenant_id": task_kwargs.get("tenant_id", None)}


def test_the_seed_callback_stores_the_tenant_from_the_task_kwargs(backend, make_request, tenant):
    request = make_request(kwargs={"tenant_id": tenant.id})
    with with_callback(seed_callback):
        backend.store_result(request.id, 3, states.SUCCESS, request=request)

    assert CustomTaskResult.objects.get(task_id=request.id).tenant == tenant


def test_a_dotted_path_names_the_callback(backend, make_request, tenant):
    request = make_request(kwargs={"tenant_id": tenant.id, "priority": "high"})
    with with_callback("tests.testapp.results.extend_task_props"):
        backend.store_result(request.id, 3, states.SUCCESS, request=request)

    row = CustomTaskResult.objects.get(task_id=request.id)
    assert (row.tenant_id, row.priority, row.attempt) == (tenant.id, "high", 0)


def test_keys_may_be_field_names_with_model_instances(backend, make_request, tenant):
    request = make_request()
    with with_callback(lambda request, props: {"tenant": tenant}):
        backend.store_result(request.id, 3, states.SUCCESS, request=request)

    assert CustomTaskResult.objects.get(task_id=request.id).tenant_id == tenant.id


@pytest.mark.django_db(transaction=True)
def test_the_extension_goes_into_the_same_single_statement(backend, make_request, tenant):
    request = make_request(kwargs={"tenant_id": tenant.id})
    with with_callback(extend_task_props):
        for state in (states.STARTED, states.SUCCESS):
            with CaptureQueriesContext(connection) as queries:
                backend.store_result(request.id, 3, state, request=request)
            assert len(queries) == 1

    assert CustomTaskResult.objects.get(task_id=request.id).tenant_id == tenant.id


def test_the_callback_is_called_for_every_state_with_the_standard_properties(backend, make_request):
    calls = []
    request = make_request()
    with with_callback(lambda request, props: calls.append(props) or {}):
        backend.store_result(request.id, None, states.STARTED, request=request)
        backend.store_result(request.id, 3, states.SUCCESS, request=request)

    assert [props["status"] for props in calls] == [states.STARTED, states.SUCCESS]
    assert calls[1]["task_id"] == request.id
    assert calls[1]["result"] == "3"
    assert calls[1]["task_name"] == "tests.testapp.tasks.add"


def test_the_callback_runs_without_result_extended(backend, make_request, tenant):
    backend.extended = False
    request = make_request(kwargs={"tenant_id": tenant.id})
    try:
        with with_callback(extend_task_props):
            backend.store_result(request.id, 3, states.SUCCESS, request=request)
    finally:
        backend.extended = True

    row = CustomTaskResult.objects.get(task_id=request.id)
    assert (row.tenant_id, row.task_args) == (tenant.id, None)


def test_the_callback_gets_none_for_a_state_stored_outside_a_worker(backend):
    requests = []
    with with_callback(lambda request, props: requests.append(request) or {}):
        backend.store_result("t-1", None, states.REVOKED)

    assert requests == [None]


def test_the_callback_cannot_change_the_standard_values_it_is_given(backend):
    def meddle(request, props):
        props["status"] = "HACKED"
        return {}

    with with_callback(meddle):
        backend.store_result("t-1", 1, states.SUCCESS)

    assert CustomTaskResult.objects.get(task_id="t-1").status == states.SUCCESS


def test_a_raising_callback_loses_no_result_and_logs_the_task_id(backend, caplog):
    with with_callback(seed_callback), caplog.at_level(logging.ERROR):
        backend.store_result("t-1", 1, states.REVOKED)  # request is None: AttributeError

    assert CustomTaskResult.objects.get(task_id="t-1").status == states.REVOKED
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "t-1" in errors[0].getMessage()
    assert "AttributeError" in errors[0].getMessage()


def test_a_non_dict_return_loses_no_result_and_is_logged(backend, caplog):
    with with_callback(lambda request, props: ["tenant_id", 1]):
        backend.store_result("t-1", 1, states.SUCCESS)

    assert CustomTaskResult.objects.filter(task_id="t-1").exists()
    assert "not a dict" in caplog.text
    assert "t-1" in caplog.text


def test_unknown_keys_are_dropped_and_the_rest_is_stored(backend, tenant, caplog):
    with with_callback(lambda request, props: {"tenant_id": tenant.id, "colour": "red"}):
        backend.store_result("t-1", 1, states.SUCCESS)

    assert CustomTaskResult.objects.get(task_id="t-1").tenant_id == tenant.id
    assert "'colour' is not a field of testapp.TaskResult" in caplog.text


def test_keys_the_store_manages_are_refused(backend, caplog):
    with with_callback(lambda request, props: {"task_id": "other"}):
        backend.store_result("t-1", 1, states.SUCCESS)

    assert CustomTaskResult.objects.filter(task_id="t-1").exists()
    assert not CustomTaskResult.objects.filter(task_id="other").exists()
    assert "'task_id'" in caplog.text


@pytest.mark.parametrize(
    ("extension", "problem"),
    [
        ({"priority": "urgent"}, "is not a valid choice"),
        ({"priority": ""}, "cannot be blank"),
        ({"attempt": "many"}, "'attempt'"),
        ({"attempt": -1}, "'attempt'"),
        ({"tenant_id": "abc"}, "'tenant_id'"),
    ],
)
def test_values_of_the_wrong_kind_are_dropped_and_logged(backend, caplog, extension, problem):
    with with_callback(lambda request, props: extension):
        backend.store_result("t-1", 1, states.SUCCESS)

    row = CustomTaskResult.objects.get(task_id="t-1")
    assert (row.status, row.priority, row.attempt, row.tenant_id) == (
        states.SUCCESS,
        "normal",
        None,
        None,
    )
    assert problem in caplog.text


def test_a_value_refused_once_is_refused_every_time(backend, caplog):
    with with_callback(lambda request, props: {"attempt": -1}):
        backend.store_result("t-1", 1, states.SUCCESS)
        caplog.clear()
        backend.store_result("t-2", 1, states.SUCCESS)

    assert CustomTaskResult.objects.get(task_id="t-2").attempt is None
    assert "'attempt'" in caplog.text


def test_equal_values_of_other_types_are_each_converted_for_the_field(backend):
    values = iter([{"attempt": "2"}, {"attempt": 2}, {"attempt": True}])
    with with_callback(lambda request, props: next(values)):
        for task_id in ("t-1", "t-2", "t-3"):
            backend.store_result(task_id, 1, states.SUCCESS)

    stored = CustomTaskResult.objects.order_by("task_id").values_list("attempt", flat=True)
    assert list(stored) == [2, 2, 1]


@pytest.mark.django_db(transaction=True)
def test_a_tenant_that_does_not_exist_loses_no_result(backend, caplog):
    with with_callback(lambda request, props: {"tenant_id": 987654}):
        backend.store_result("t-1", 1, states.SUCCESS)

    row = CustomTaskResult.objects.get(task_id="t-1")
    assert (row.status, row.tenant_id) == (states.SUCCESS, None)
    assert "t-1" in caplog.text
    assert "refused" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_value_the_database_refuses_is_dropped_alone_and_named(backend, caplog):
    extension = {"tenant_id": 987654, "priority": "high", "attempt": 2}
    with with_callback(lambda request, props: extension):
        backend.store_result("t-1", 1, states.SUCCESS)

    row = CustomTaskResult.objects.get(task_id="t-1")
    assert (row.status, row.tenant_id, row.priority, row.attempt) == (
        states.SUCCESS,
        None,
        "high",
        2,
    )
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "t-1" in record.getMessage()
    assert "refused tenant_id = 987654" in record.getMessage()
    assert "priority" not in record.getMessage()


def extend_with_channel(field: models.Field, value: object) -> dict:
    """What a callback returning ``{"channel": value}`` adds to a model with ``channel = field``."""

    class ChannelTaskResult(AbstractTaskResult):
        channel = field

        class Meta(AbstractTaskResult.Meta):
            app_label = "testapp"

    with override_settings(
        CELERY_RESULTS_EXTEND_TASK_PROPS_CALLBACK=lambda r, p: {"channel": value}
    ):
        return extend_task_properties(ChannelTaskResult, None, {"task_id": "t-1"})


@isolate_apps("tests.testapp")
@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        (
            models.CharField(max_length=8, choices=[("fast", "Fast")], blank=True, default=""),
            "",
            "",
        ),
        (models.CharField(max_length=8, choices=[("fast", "Fast")], blank=True), "fast", "fast"),
        (models.CharField(max_length=8, blank=True), "", ""),
        (models.CharField(max_length=8, null=True), None, None),
    ],
    ids=["blank-choice", "choice", "blank-text", "null"],
)
def test_values_django_accepts_are_kept_without_an_error(caplog, field, value, stored):
    assert extend_with_channel(field, value) == {"channel": stored}
    assert not caplog.records


@isolate_apps("tests.testapp")
@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        (models.CharField(max_length=8, choices=[("fast", "Fast")]), "", "cannot be blank"),
        (models.CharField(max_length=8), None, "cannot be null"),
        (models.CharField(max_length=3, blank=True), "four", "at most 3 characters"),
        (models.IntegerField(choices=[(1, "one")], null=True), 2, "is not a valid choice"),
    ],
    ids=["blank", "null", "max-length", "choice"],
)
def test_values_django_refuses_are_dropped_and_logged(caplog, field, value, problem):
    assert extend_with_channel(field, value) == {}
    assert problem in caplog.text
    assert "'channel'" in caplog.text


def test_a_callback_path_that_cannot_be_imported_loses_no_result(backend, caplog):
    with with_callback("tests.testapp.results.missing"):
        backend.store_result("t-1", 1, states.SUCCESS)

    assert CustomTaskResult.objects.filter(task_id="t-1").exists()
    assert "cannot be imported" in caplog.text


def test_custom_field_defaults_apply_on_insert_and_survive_updates(backend, make_request):
    request = make_request(kwargs={"priority": "high"})
    with with_callback(extend_task_props):
        backend.store_result(request.id, None, states.STARTED, request=request)
    with override_settings(**CUSTOM):
        backend.store_result(request.id, 1, states.SUCCESS, request=request)
        backend.store_result("t-2", 1, states.SUCCESS)

    assert CustomTaskResult.objects.get(task_id=request.id).priority == "high"
    assert CustomTaskResult.objects.get(task_id="t-2").priority == "normal"
