"""Expiry of tasks that never finish: lost work does not stay forever."""

import datetime

import pytest
from celery import states
from django.utils import timezone

from django_celery_results.backends import DatabaseBackend

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def store(backend, model, task_id, state, age):
    backend.store_result(task_id, None, state)
    model.objects.filter(task_id=task_id).update(date_done=timezone.now() - age)


def remaining(model):
    return set(model.objects.values_list("task_id", flat=True))


def test_unfinished_tasks_expire_with_the_others_by_default(backend, task_result_model):
    for state in (states.PENDING, states.STARTED, states.SUCCESS):
        store(backend, task_result_model, f"old-{state}", state, 2 * DAY)
    store(backend, task_result_model, "recent", states.PENDING, datetime.timedelta(hours=1))

    backend.cleanup()  # result_expires: Celery's default, one day

    assert remaining(task_result_model) == {"recent"}


def test_unfinished_tasks_expire_after_their_own_limit(backend, task_result_model, settings):
    settings.CELERY_RESULTS_UNFINISHED_EXPIRES = datetime.timedelta(days=7)
    store(backend, task_result_model, "long-running", states.STARTED, 2 * DAY)
    store(backend, task_result_model, "lost", states.PENDING, 8 * DAY)
    store(backend, task_result_model, "lost-worker", states.STARTED, 8 * DAY)
    store(backend, task_result_model, "done", states.SUCCESS, 2 * DAY)

    backend.cleanup()

    assert remaining(task_result_model) == {"long-running"}


def test_unfinished_tasks_expire_even_when_results_never_do(
    celery_app, task_result_model, settings
):
    settings.CELERY_RESULTS_UNFINISHED_EXPIRES = 3600  # seconds
    backend = DatabaseBackend(app=celery_app)
    backend.expires = None  # result_expires = None: results are kept forever
    store(backend, task_result_model, "lost", states.PENDING, 2 * DAY)
    store(backend, task_result_model, "done", states.SUCCESS, 30 * DAY)

    backend.cleanup()

    assert remaining(task_result_model) == {"done"}
