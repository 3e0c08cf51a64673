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


def test_an_expiry_of_zero_deletes_every_result_done_before_now(backend, task_result_model):
    store(backend, task_result_model, "done", states.SUCCESS, datetime.timedelta(seconds=1))
    manager = task_result_model._default_manager
    assert set(manager.get_all_expired(0).values_list("task_id", flat=True)) == {"done"}

    deleted = manager.delete_expired(0, batch_size=25)

    assert deleted == 1 and remaining(task_result_model) == set()


class RouterToNowhere:
    """Sends every write to a database that does not exist: only a named one can work."""

    def db_for_write(self, model, **hints):
        return "nowhere"


@pytest.mark.parametrize("kind", ["task", "group"])
def test_a_database_named_with_db_manager_wins_over_the_router(backend, settings, kind):
    from django_celery_results.models import get_group_result_model, get_task_result_model

    model = get_task_result_model() if kind == "task" else get_group_result_model()
    key = "task_id" if kind == "task" else "group_id"
    model._default_manager.create(**{key: "old"})
    model._default_manager.filter(**{key: "old"}).update(date_done=timezone.now() - 2 * DAY)
    settings.DATABASE_ROUTERS = [f"{__name__}.RouterToNowhere"]

    deleted = model._default_manager.db_manager("default").delete_expired(DAY)

    assert deleted == 1


def test_a_database_named_with_db_manager_wins_for_chord_counters(backend, settings):
    from django_celery_results.models import ChordCounter, get_task_result_model

    get_task_result_model()._default_manager.create(task_id="header")
    get_task_result_model()._default_manager.filter(task_id="header").update(
        date_done=timezone.now() - 2 * DAY
    )
    ChordCounter._default_manager.create(
        group_id="g", sub_tasks='[[["header", null], null]]', count=1
    )
    settings.DATABASE_ROUTERS = [f"{__name__}.RouterToNowhere"]

    deleted = ChordCounter._default_manager.db_manager("default").delete_expired(
        DAY, get_task_result_model()
    )

    assert deleted == 1
