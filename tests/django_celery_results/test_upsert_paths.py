"""The two ways a state is stored give the same rows: the one-statement upsert, and the ORM path.

PostgreSQL, SQLite and MySQL/MariaDB get the hand-built statement; any other
database the ORM path (a row lock, then an INSERT or an UPDATE). Here the
ORM path is forced on whichever database the run uses, so that it is tested.
"""

from __future__ import annotations

import pytest
from celery import states

from django_celery_results import managers

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["statement", "orm"])
def path(request, monkeypatch):
    if request.param == "orm":
        monkeypatch.setattr(managers, "FAST_VENDORS", frozenset())
    return request.param


def test_the_first_state_inserts_and_a_later_one_updates_keeping_date_created(
    path, backend, task_result_model, make_request
):
    request = make_request()
    backend.store_result(request.id, None, states.STARTED, request=request)
    first = task_result_model.objects.get(task_id=request.id)

    backend.store_result(request.id, {"n": 1}, states.SUCCESS, request=request)

    row = task_result_model.objects.get(task_id=request.id)
    assert task_result_model.objects.filter(task_id=request.id).count() == 1
    assert (row.status, row.result, row.task_name) == (states.SUCCESS, '{"n": 1}', request.task)
    assert row.date_created == first.date_created
    assert row.date_started == first.date_started
    assert row.date_done >= first.date_done


def test_a_state_that_is_not_final_never_replaces_a_final_one(path, backend, task_result_model):
    backend.store_result("t-1", 2, states.SUCCESS)

    backend.store_result("t-1", None, states.RETRY)
    backend.store_result("t-1", None, states.STARTED)

    assert task_result_model.objects.get(task_id="t-1").status == states.SUCCESS


def test_a_final_state_replaces_another_final_one(path, backend, task_result_model):
    backend.store_result("t-1", None, states.FAILURE)

    backend.store_result("t-1", 3, states.SUCCESS)

    row = task_result_model.objects.get(task_id="t-1")
    assert (row.status, row.result) == (states.SUCCESS, "3")


def test_a_group_saved_twice_keeps_one_row(path, celery_app, backend):
    from celery.result import AsyncResult, GroupResult

    from django_celery_results.models import get_group_result_model

    group = GroupResult("g-1", [AsyncResult("t-1", app=celery_app)])
    backend.save_group("g-1", group)
    backend.save_group("g-1", group)

    assert get_group_result_model().objects.filter(group_id="g-1").count() == 1
    assert backend.restore_group("g-1", cache=False).id == "g-1"


def test_a_started_state_stores_one_instant_as_its_created_started_and_done_dates(
    path, backend, task_result_model, make_request
):
    request = make_request()

    backend.store_result(request.id, None, states.STARTED, request=request)

    row = task_result_model.objects.get(task_id=request.id)
    assert row.date_created == row.date_started == row.date_done
    assert row.date_done.tzinfo is not None
