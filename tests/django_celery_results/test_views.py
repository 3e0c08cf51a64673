"""The JSON status views of django_celery_results.urls."""

import pytest
from celery import states
from celery.result import AsyncResult, GroupResult
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_task_status_returns_the_state_and_result(client, backend):
    backend.store_result("t-1", {"n": 1}, states.SUCCESS)

    response = client.get(reverse("celery-task_status", args=["t-1"]))

    assert response.json() == {"task": {"id": "t-1", "status": "SUCCESS", "result": {"n": 1}}}


def test_task_status_of_a_failure_names_the_exception_and_traceback(client, backend):
    backend.mark_as_failure("t-1", ValueError("boom"), traceback="Traceback: boom")

    task = client.get(reverse("celery-task_status", args=["t-1"])).json()["task"]

    assert (task["status"], task["exc"], task["traceback"]) == (
        "FAILURE",
        "builtins.ValueError",
        "Traceback: boom",
    )
    assert "boom" in task["result"]


def test_is_task_successful(client, backend):
    backend.store_result("t-1", 1, states.SUCCESS)

    response = client.get(reverse("celery-is_task_successful", args=["t-1"]))

    assert response.json() == {"task": {"id": "t-1", "executed": True}}


def test_id_first_urls_still_answer(client, backend):
    backend.store_result("t-1", 1, states.SUCCESS)

    assert client.get("/celery/t-1/done/").json()["task"]["executed"] is True


def test_group_status_lists_each_task(client, celery_app, backend):
    backend.store_result("a", 1, states.SUCCESS)
    backend.save_group("g-1", GroupResult("g-1", [AsyncResult("a", app=celery_app)]))

    response = client.get(reverse("celery-group_status", args=["g-1"]))

    assert response.json() == {
        "group": {"id": "g-1", "results": [{"result": 1, "status": "SUCCESS"}]}
    }


def test_group_status_of_a_missing_group_is_404_not_500(client):
    response = client.get(reverse("celery-group_status", args=["missing"]))

    assert response.status_code == 404


def test_is_group_successful_of_a_missing_group_is_an_empty_list(client):
    response = client.get(reverse("celery-is_group_successful", args=["missing"]))

    assert response.json() == {"group": {"id": "missing", "results": []}}


@pytest.fixture
def pickled_task(backend):
    """A task whose result was stored with the pickle serializer, which the backend refuses."""
    backend.store_result("t-1", 1, states.SUCCESS)
    model = backend.TaskModel
    model._default_manager.filter(task_id="t-1").update(
        content_type="application/x-python-serialize", content_encoding="binary", result="gAN9cQAu"
    )
    return "t-1"


@pytest.mark.parametrize("name", ["celery-task_status", "celery-is_task_successful"])
def test_a_result_in_a_refused_format_is_a_409_naming_it(client, pickled_task, name):
    response = client.get(reverse(name, args=[pickled_task]))

    assert response.status_code == 409
    assert response.json()["task"]["id"] == pickled_task
    assert "application/x-python-serialize" in response.json()["task"]["error"]


def test_a_group_whose_tasks_cannot_be_decoded_is_a_409(client, celery_app, backend, pickled_task):
    backend.save_group("g-1", GroupResult("g-1", [AsyncResult(pickled_task, app=celery_app)]))

    response = client.get(reverse("celery-group_status", args=["g-1"]))

    assert (response.status_code, response.json()["group"]["id"]) == (409, "g-1")
