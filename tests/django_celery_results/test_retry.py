"""``result_backend_always_retry``: a lost database connection is retried on a new one."""

import pytest
from celery import states
from django.db import DatabaseError, connection

from django_celery_results.backends import DatabaseBackend

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def break_the_connection():
    """Close the driver's connection under Django, as a restarted server would."""
    connection.ensure_connection()
    connection.connection.close()


@pytest.fixture
def retrying_backend(celery_app):
    celery_app.conf.result_backend_always_retry = True
    yield DatabaseBackend(app=celery_app)
    celery_app.conf.result_backend_always_retry = False


def test_a_store_on_a_lost_connection_is_retried_and_kept(retrying_backend, task_result_model):
    break_the_connection()

    retrying_backend.store_result("t-1", 1, states.SUCCESS)

    assert task_result_model.objects.get(task_id="t-1").status == states.SUCCESS


def test_a_read_on_a_lost_connection_is_retried(retrying_backend):
    retrying_backend.store_result("t-1", 1, states.SUCCESS)
    break_the_connection()

    assert retrying_backend.get_task_meta("t-1", cache=False)["result"] == 1


def test_without_always_retry_the_error_reaches_celery(backend):
    break_the_connection()

    with pytest.raises(DatabaseError):
        backend.store_result("t-1", 1, states.SUCCESS)
    connection.close()
