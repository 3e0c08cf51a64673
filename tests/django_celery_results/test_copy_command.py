"""``manage.py copy_default_task_results``: moving results to a custom model loses no row."""

import pytest
from celery import states
from django.core.management import CommandError, call_command
from django.test.utils import override_settings

from django_celery_results.models import TaskResult
from tests.testapp.models import TaskResult as CustomTaskResult

pytestmark = pytest.mark.django_db


@pytest.mark.default_model
def test_every_default_row_is_copied_with_extra_fields_defaulted(backend):
    for number in range(5):
        backend.store_result(f"t-{number}", number, states.SUCCESS)
    original = TaskResult.objects.get(task_id="t-3")

    with override_settings(CELERY_RESULTS_TASKRESULT_MODEL="testapp.TaskResult"):
        call_command("copy_default_task_results", batch_size=2)

    copied = CustomTaskResult.objects.get(task_id="t-3")
    assert CustomTaskResult.objects.count() == 5
    assert (copied.result, copied.date_created, copied.priority, copied.tenant_id) == (
        original.result,
        original.date_created,
        "normal",
        None,
    )


@pytest.mark.default_model
def test_running_the_copy_twice_copies_each_row_once(backend):
    backend.store_result("t-1", 1, states.SUCCESS)

    with override_settings(CELERY_RESULTS_TASKRESULT_MODEL="testapp.TaskResult"):
        call_command("copy_default_task_results")
        call_command("copy_default_task_results")

    assert CustomTaskResult.objects.count() == 1


@pytest.mark.default_model
def test_the_copy_refuses_to_run_before_the_model_is_swapped():
    with pytest.raises(CommandError, match="set it to your custom model first"):
        call_command("copy_default_task_results")


@pytest.mark.swapped
def test_the_copy_says_so_when_there_is_no_default_table():
    with pytest.raises(CommandError, match="no table django_celery_results_taskresult"):
        call_command("copy_default_task_results")
