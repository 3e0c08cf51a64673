"""Bulk actions received by a real Celery worker: a retry runs the tasks again, a revoke stops them.

The worker is the tests' prefork worker on the real Redis broker, on the
test database; its control exchange is the test session's own, so a
revoke reaches it and no other worker.
"""

from __future__ import annotations

import json
import time

import pytest
from celery import states
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from django_celery_results import recorder
from django_celery_results.models import get_task_result_model
from results_api.bulk.models import BulkRetry

from .conftest import confirm

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_bulk(settings, celery_app, celery_worker_process):
    """Retry and revoke in bulk through the tests' app, whose tasks the worker consumes."""
    settings.RESULTS_API = {
        "BULK_ACTIONS": ["retry", "revoke"],
        "BULK_BATCH_SIZE": 2,
        "BULK_PAUSE_FACTOR": 0,
        "CELERY_APP": celery_app,
    }
    admin = APIClient()
    admin.force_authenticate(get_user_model().objects.create_superuser("root"))
    return admin


def statuses(task_ids: list[str], until: str, timeout: float = 30.0) -> list[str]:
    """Return the stored status of each task once all are ``until`` (or at ``timeout``)."""
    rows = get_task_result_model()._default_manager
    deadline = time.monotonic() + timeout
    while True:
        found = dict(rows.filter(task_id__in=task_ids).values_list("task_id", "status"))
        if all(found.get(task_id) == until for task_id in task_ids):
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return [found.get(task_id, "missing") for task_id in task_ids]


def test_a_bulk_retry_of_failures_is_run_again_by_a_real_worker(
    worker_bulk, celery_app, make_task, tenant
):
    for number in range(3):
        make_task(
            task_id=f"outage-{number}",
            status=states.FAILURE,
            task_name="tests.testapp.tasks.add",
            task_args=json.dumps(f"({number}, 10)"),  # Celery's reprs, as a worker stores them
            task_kwargs=json.dumps(repr({"tenant_id": tenant.pk})),
        )

    _preview, done = confirm(
        worker_bulk, "retry", status=states.FAILURE, task_id__startswith="outage-"
    )

    assert done.status_code == 200, done.content
    assert done.json()["acted"] == 3
    retried = dict(BulkRetry.objects.values_list("new_task_id", "task_pk"))
    answers = sorted(celery_app.AsyncResult(new_id).get(timeout=60) for new_id in retried)
    assert answers == [10, 11, 12]
    assert statuses(list(retried), until=states.SUCCESS) == [states.SUCCESS] * 3


@pytest.mark.slow  # waits past the tasks' due time
def test_a_bulk_revoke_of_queued_tasks_stops_a_real_worker_from_running_them(
    worker_bulk, celery_app, settings, tenant
):
    from tests.testapp.tasks import add

    settings.CELERY_RESULTS_TRACK_SENT = True
    # Due in a few seconds: queued in the worker, not yet run, when the revoke comes.
    queued = [
        add.apply_async((number, 1), {"tenant_id": tenant.pk}, countdown=4).id
        for number in range(3)
    ]
    assert recorder.flush(timeout=30)

    _preview, done = confirm(
        worker_bulk, "revoke", status=states.PENDING, task_id__in=",".join(queued)
    )

    assert done.status_code == 200, done.content
    assert done.json()["acted"] == 3
    assert statuses(queued, until=states.REVOKED) == [states.REVOKED] * 3
    time.sleep(5)  # past the tasks' due time: the worker drops them instead of running them
    assert statuses(queued, until=states.REVOKED, timeout=0) == [states.REVOKED] * 3
