"""Tasks recorded when sent (``CELERY_RESULTS_TRACK_SENT``): a PENDING row per published task.

Tasks go to Redis, to a queue of the test's own that no worker consumes
unless the test says so.
"""

import logging
import socket
import threading
import uuid
from contextlib import contextmanager

import pytest
from celery import chord, group, states
from django.db import connections, transaction
from django.db.backends.signals import connection_created
from django.utils import timezone

from django_celery_results import recorder
from tests.testapp.tasks import add, collect

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 60


@pytest.fixture
def track_sent(settings):
    settings.CELERY_RESULTS_TRACK_SENT = True
    yield
    assert recorder.flush(timeout=30)


@pytest.fixture
def held_queue(celery_app):
    """A queue no worker consumes, deleted after the test."""
    name = f"held-{uuid.uuid4().hex[:8]}"
    yield name
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_delete(name)


def queued_messages(celery_app, queue):
    with celery_app.connection_for_write() as connection:
        return connection.default_channel.client.llen(queue)


@contextmanager
def counting_recorder_statements(monkeypatch):
    """Give this process a new recorder and count the statements its thread runs.

    It waits for rows as long as they keep coming within five seconds, so
    that what it writes does not depend on how fast this machine sends (a
    flush, once they are all sent, ends the wait).
    """
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    def on_connection(sender, connection, **kwargs):
        if threading.current_thread().name == "celery-results-sent":
            connection.execute_wrappers.append(count)

    patient = recorder.SentTaskRecorder(linger=5.0, max_wait=600.0)
    monkeypatch.setattr(recorder, "recorder", patient)
    connection_created.connect(on_connection)
    try:
        yield statements
    finally:
        connection_created.disconnect(on_connection)


def test_nothing_is_stored_when_sent_by_default(task_result_model, held_queue):
    add.apply_async((2, 3), queue=held_queue)

    assert recorder.flush(timeout=10)
    assert not task_result_model.objects.exists()


def test_a_sent_task_is_stored_as_pending_with_its_name_arguments_and_send_time(
    track_sent, task_result_model, held_queue
):
    before = timezone.now()
    result = add.apply_async((2,), {"y": 4}, queue=held_queue)
    after = timezone.now()
    assert recorder.flush(timeout=10)

    row = task_result_model.objects.get(task_id=result.id)
    assert (row.status, row.task_name, row.task_args, row.task_kwargs) == (
        states.PENDING,
        add.name,
        '"(2,)"',
        "\"{'y': 4}\"",
    )
    assert before <= row.date_created <= after
    assert row.date_started is None
    assert row.worker is None
    assert result.state == states.PENDING


def test_a_task_whose_result_is_ignored_is_not_stored(track_sent, task_result_model, held_queue):
    add.apply_async((1, 2), queue=held_queue, ignore_result=True)
    assert recorder.flush(timeout=10)

    assert not task_result_model.objects.exists()


def test_send_task_delay_and_every_task_of_a_group_are_stored(
    track_sent, task_result_model, held_queue, celery_app
):
    sent = [
        add.s(1, 1).set(queue=held_queue).delay(),
        celery_app.send_task(add.name, (1, 2), queue=held_queue),
        *group(add.s(n, n).set(queue=held_queue) for n in range(3)).apply_async().results,
    ]
    assert recorder.flush(timeout=10)

    rows = task_result_model.objects.filter(task_id__in=[result.id for result in sent])
    assert rows.count() == 5
    assert {row.task_name for row in rows} == {add.name}


@pytest.mark.swapped
def test_the_callback_gets_a_request_built_from_the_message(
    track_sent, task_result_model, held_queue, tenant, celery_app
):
    result = celery_app.send_task(
        add.name,
        kwargs={"x": 1, "y": 2, "tenant_id": tenant.id, "priority": "high"},
        queue=held_queue,
    )
    assert recorder.flush(timeout=10)

    row = task_result_model.objects.get(task_id=result.id)
    assert (row.status, row.tenant_id, row.priority, row.attempt) == (
        states.PENDING,
        tenant.id,
        "high",
        0,
    )


@pytest.mark.swapped
def test_a_callback_value_the_database_refuses_leaves_the_row_without_it(
    track_sent, task_result_model, held_queue, caplog
):
    result = add.apply_async(kwargs={"x": 1, "y": 2, "tenant_id": 999_999}, queue=held_queue)
    assert recorder.flush(timeout=10)

    row = task_result_model.objects.get(task_id=result.id)
    assert (row.status, row.tenant_id) == (states.PENDING, None)
    assert any(result.id in record.getMessage() for record in caplog.records)


@pytest.mark.swapped
def test_a_refused_callback_value_is_dropped_alone_and_named_as_on_the_worker(
    track_sent, celery_app, task_result_model, held_queue, caplog
):
    kwargs = {"x": 1, "y": 2, "tenant_id": 999_999, "priority": "high"}
    # By name: the test app's callback reads ``priority`` from kwargs that add() does not take.
    result = celery_app.send_task(add.name, kwargs=kwargs, queue=held_queue)
    assert recorder.flush(timeout=10)

    row = task_result_model.objects.get(task_id=result.id)
    assert (row.status, row.tenant_id, row.priority) == (states.PENDING, None, "high")
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert result.id in record.getMessage()
    assert "refused tenant_id = 999999" in record.getMessage()
    assert "priority" not in record.getMessage()


def test_a_stored_state_is_never_replaced_by_the_send_but_takes_its_earlier_time(
    backend, task_result_model, make_request
):
    request = make_request()
    sent_at = timezone.now()
    backend.store_result(request.id, 5, states.SUCCESS, request=request)
    values, extension = backend.sent_task_values(request, sent_at)

    task_result_model._default_manager.store_sent([{**values, **extension}])

    row = task_result_model.objects.get(task_id=request.id)
    assert (row.status, row.result, row.worker) == (states.SUCCESS, "5", "celery@worker-1")
    assert row.date_created == sent_at


def test_a_later_send_of_a_stored_task_changes_nothing(backend, task_result_model, make_request):
    request = make_request()
    backend.store_result(request.id, None, states.STARTED, request=request)
    stored = task_result_model.objects.get(task_id=request.id)
    values, extension = backend.sent_task_values(request, timezone.now())

    task_result_model._default_manager.store_sent([{**values, **extension}])

    row = task_result_model.objects.get(task_id=request.id)
    assert (row.status, row.date_created, row.date_started) == (
        states.STARTED,
        stored.date_created,
        stored.date_started,
    )


def test_the_row_outlives_the_senders_rollback(track_sent, task_result_model, held_queue):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        result = add.apply_async((1, 2), queue=held_queue)
        1 / 0  # noqa: B018
    assert recorder.flush(timeout=10)

    assert task_result_model.objects.get(task_id=result.id).status == states.PENDING


def test_the_row_outlives_the_rollback_of_a_sender_that_wrote(
    track_sent, task_result_model, held_queue
):
    from django.contrib.auth import get_user_model

    # On SQLite the sender's write holds the database's only write lock until
    # the rollback: the row is stored once it is released.
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        get_user_model().objects.create(username="rolled-back")
        result = add.apply_async((1, 2), queue=held_queue)
        1 / 0  # noqa: B018
    assert recorder.flush(timeout=40)

    assert task_result_model.objects.get(task_id=result.id).status == states.PENDING
    assert not get_user_model().objects.exists()


def test_a_flush_stores_what_is_queued_without_waiting_for_more(
    track_sent, task_result_model, held_queue, monkeypatch
):
    # A writer that would wait a minute for more rows: the flush does not let it.
    monkeypatch.setattr(recorder, "recorder", recorder.SentTaskRecorder(linger=60, max_wait=60))
    result = add.apply_async((1, 2), queue=held_queue)

    assert recorder.flush(timeout=20)

    assert task_result_model.objects.get(task_id=result.id).status == states.PENDING


@pytest.mark.parametrize("canvas", ["group", "chord"])
def test_a_thousand_tasks_sent_together_cost_two_statements(
    track_sent, task_result_model, held_queue, monkeypatch, canvas
):
    header = [add.s(n, n).set(queue=held_queue) for n in range(1000)]
    with counting_recorder_statements(monkeypatch) as statements:
        if canvas == "group":
            group(header).apply_async()
        else:
            chord(header)(collect.s().set(queue=held_queue))
        assert recorder.flush(timeout=30)

    assert task_result_model.objects.filter(status=states.PENDING).count() == 1000
    inserts = [sql for sql in statements if sql.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 2  # 500 rows each


def test_an_unavailable_database_loses_no_task_and_logs_its_id(
    track_sent, settings, celery_app, held_queue, caplog, tmp_path, task_result_model
):
    down = {**connections["default"].settings_dict, "TEST": {}}
    if down["ENGINE"].endswith("sqlite3"):
        down["NAME"] = str(tmp_path / "no-such-directory" / "results.sqlite3")
    else:
        down["PORT"] = "1"  # nothing listens there
    connections.settings["results_down"] = down
    settings.DATABASE_ROUTERS = ["tests.django_celery_results.test_sent.ResultsDownRouter"]
    try:
        with caplog.at_level(logging.ERROR, logger="django_celery_results"):
            result = add.apply_async((1, 2), queue=held_queue)
            assert recorder.flush(timeout=30)
    finally:
        del connections.settings["results_down"]

    assert queued_messages(celery_app, held_queue) == 1
    assert not task_result_model.objects.filter(task_id=result.id).exists()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(result.id in message for message in errors), errors


class ResultsDownRouter:
    """Send writes of task results to a database that cannot be reached."""

    def db_for_write(self, model, **hints):
        if model._meta.label_lower.endswith("taskresult"):
            return "results_down"
        return None


# With a real worker


@pytest.mark.worker
def test_a_task_stored_by_its_worker_first_keeps_the_final_state_and_its_send_time(
    track_sent, celery_worker_process, task_result_model, monkeypatch
):
    # A recorder that waits two seconds before it writes: the worker is faster.
    monkeypatch.setattr(recorder, "recorder", recorder.SentTaskRecorder(linger=2.0, max_wait=2.0))
    before = timezone.now()
    result = add.delay(2, 2)
    assert result.get(timeout=TIMEOUT) == 4
    assert task_result_model.objects.get(task_id=result.id).status == states.SUCCESS
    assert recorder.flush(timeout=10)

    row = task_result_model.objects.get(task_id=result.id)
    assert (row.status, row.result) == (states.SUCCESS, "4")
    assert before <= row.date_created < row.date_started <= row.date_done


@pytest.mark.worker
def test_a_sender_inside_an_open_transaction_does_not_hold_the_worker_back(
    track_sent, celery_worker_process, task_result_model
):
    from django.contrib.auth import get_user_model

    outcome = {}

    def wait_for_the_result(result):
        # On a connection of its own: this one's transaction would not see the result.
        try:
            outcome["value"] = result.get(timeout=TIMEOUT)
        finally:
            connections.close_all()

    with transaction.atomic():
        if connections["default"].vendor == "postgresql":
            # On SQLite a write would hold the only write lock, which the
            # worker waits for whether tasks are tracked or not.
            get_user_model().objects.create(username="open")
        result = add.delay(3, 4)
        # The worker's row has the same task id: were the sent row part of
        # this transaction, the worker's write would wait for its end.
        waiter = threading.Thread(target=wait_for_the_result, args=(result,))
        waiter.start()
        waiter.join()
        transaction.set_rollback(True)
    assert recorder.flush(timeout=10)

    assert outcome["value"] == 7
    assert task_result_model.objects.get(task_id=result.id).status == states.SUCCESS


@pytest.mark.worker
@pytest.mark.swapped
def test_a_queued_task_is_listed_as_pending_then_done_with_its_wait_and_runtime(
    track_sent, celery_worker_process, celery_app, held_queue, tenant
):
    from django.contrib.auth import get_user_model
    from django.urls import reverse
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("staff", is_staff=True))
    url = reverse("results_api:task-list")
    result = add.apply_async(kwargs={"x": 2, "y": 5, "tenant_id": tenant.id}, queue=held_queue)
    assert recorder.flush(timeout=10)

    queued = client.get(url, {"status": "PENDING", "tenant": tenant.id}).json()["results"]
    assert [(row["task_id"], row["tenant"], row["wait"]) for row in queued] == [
        (result.id, tenant.id, None)
    ]

    # The test session's worker (other sessions' workers may share the broker).
    worker = [f"{celery_app.conf.task_default_queue}@{socket.gethostname()}"]
    assert celery_app.control.add_consumer(held_queue, destination=worker, reply=True)
    try:
        assert result.get(timeout=TIMEOUT) == 7
    finally:
        celery_app.control.cancel_consumer(held_queue, destination=worker, reply=True)

    (row,) = client.get(url, {"tenant": tenant.id}).json()["results"]
    assert (row["task_id"], row["status"], row["tenant"]) == (result.id, "SUCCESS", tenant.id)
    assert row["wait"] > 0
    assert row["runtime"] >= 0


def test_a_request_is_built_from_a_message_of_either_protocol():
    from django_celery_results.sent import request_from_message

    headers = {"id": "t-2", "task": add.name, "retries": 1, "argsrepr": "(1,)", "tenant": "x"}
    version_2 = request_from_message(headers, ((1,), {"y": 2}, {"chord": None}))
    version_1 = request_from_message(
        {}, {"id": "t-1", "task": add.name, "args": [1], "kwargs": {"y": 2}, "retries": 0}
    )

    assert (version_2.id, version_2.task, version_2.args, version_2.kwargs) == (
        "t-2",
        add.name,
        [1],
        {"y": 2},
    )
    assert (version_2.retries, version_2.headers["tenant"], version_2.hostname) == (1, "x", None)
    assert (version_1.id, version_1.task, version_1.args, version_1.kwargs) == (
        "t-1",
        add.name,
        [1],
        {"y": 2},
    )
