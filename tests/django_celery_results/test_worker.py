"""A real Celery worker (prefork, 2 processes) storing results through Redis and the database."""

import pytest
from celery import chord, group, states

from tests.testapp.tasks import add, distinct, fail, process_id, retry_once

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TIMEOUT = 60


@pytest.fixture(autouse=True)
def worker(celery_worker_process):
    return celery_worker_process


def test_a_task_result_is_stored_with_its_worker_and_dates(task_result_model):
    assert add.delay(2, 3).get(timeout=TIMEOUT) == 5

    row = task_result_model.objects.get(status=states.SUCCESS, task_name=add.name)
    assert row.worker.startswith("tests-")
    assert row.date_created <= row.date_started <= row.date_done


def test_a_failing_task_stores_its_exception_and_traceback(task_result_model):
    result = fail.delay("it broke")

    with pytest.raises(ValueError, match="it broke"):
        result.get(timeout=TIMEOUT)
    row = task_result_model.objects.get(task_id=result.id)
    assert row.status == states.FAILURE
    assert "ValueError: it broke" in row.traceback


def test_a_retried_task_ends_with_its_final_result(task_result_model):
    result = retry_once.delay()

    assert result.get(timeout=TIMEOUT) == 1
    assert task_result_model.objects.get(task_id=result.id).status == states.SUCCESS


def test_a_group_stores_every_result_and_itself(celery_app):
    result = group(add.s(n, n) for n in range(4)).apply_async()
    result.save()

    assert result.get(timeout=TIMEOUT) == [0, 2, 4, 6]
    restored = celery_app.GroupResult.restore(result.id)
    assert [child.id for child in restored.results] == [child.id for child in result.results]


def test_a_chord_header_on_two_processes_runs_the_body_once(task_result_model):
    result = chord(process_id.s(0.3) for _ in range(6))(distinct.s())

    pids = result.get(timeout=TIMEOUT)

    assert len(pids) == 2
    assert task_result_model.objects.filter(task_name=distinct.name).count() == 1


@pytest.mark.swapped
@pytest.mark.parametrize(
    ("task", "kwargs", "state"),
    [
        (add, {"x": 1, "y": 2}, states.SUCCESS),
        (fail, {}, states.FAILURE),
        (retry_once, {}, states.SUCCESS),
    ],
)
def test_the_tenant_in_the_task_kwargs_is_stored_with_each_state(
    tenant, task_result_model, task, kwargs, state
):
    result = task.apply_async(kwargs={**kwargs, "tenant_id": tenant.id})
    result.get(timeout=TIMEOUT, propagate=False)

    row = task_result_model.objects.get(task_id=result.id)
    assert (row.status, row.tenant_id) == (state, tenant.id)
