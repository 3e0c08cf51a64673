"""Every statement of the django-db backend goes through Django's cursor, like an ORM query.

So an ``execute_wrapper`` and ``CaptureQueriesContext`` (and what hooks into
the same cursor: Sentry, django-debug-toolbar) see each one. On SQLite the
driver's own trace of the statements it executed is the witness that none
goes around them.
"""

from __future__ import annotations

import datetime

import pytest
from celery import states
from celery.app.task import Context
from celery.result import AsyncResult, GroupResult
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_celery_results.models import get_group_result_model

pytestmark = pytest.mark.django_db


def first_word(sql: str) -> str:
    word = sql.split(None, 1)[0].upper()
    # A PostgreSQL server-side cursor (QuerySet.iterator()) logs its DECLARE ... FOR SELECT.
    return "SELECT" if word == "DECLARE" else word


def by_the_backend(traced: list[str]) -> list[str]:
    """The traced statements without those the query log itself runs on SQLite.

    To log a statement with its values, Django's SQLite backend quotes them
    with a ``SELECT QUOTE(?), ...`` of its own.
    """
    return [sql for sql in traced if not sql.upper().startswith("SELECT QUOTE(")]


class Witnesses:
    """What the execute wrapper, the query log and (on SQLite) the driver saw."""

    def __init__(self) -> None:
        self.wrapped: list[str] = []
        self.traced: list[str] = []
        self.captured: list[str] = []

    def wrapper(self, execute, sql, params, many, context):
        self.wrapped.append(sql)
        return execute(sql, params, many, context)


def run_watched(operation) -> Witnesses:
    seen = Witnesses()
    connection.ensure_connection()
    driver = connection.connection
    tracing = connection.vendor == "sqlite"
    if tracing:
        driver.set_trace_callback(seen.traced.append)
    try:
        with connection.execute_wrapper(seen.wrapper), CaptureQueriesContext(connection) as log:
            operation()
    finally:
        if tracing:
            driver.set_trace_callback(None)
    seen.captured = [query["sql"] for query in log.captured_queries]
    return seen


@pytest.fixture
def stored(backend, celery_app, make_request):
    """A task with two states, a group, and a chord of two header tasks, one of them done."""
    request = make_request("t-1")
    backend.store_result("t-1", None, states.STARTED, request=request)
    backend.store_result("t-1", {"n": 1}, states.SUCCESS, request=request)
    backend.save_group("g-1", GroupResult("g-1", [AsyncResult("t-1", app=celery_app)]))
    header = GroupResult("chord-1", [AsyncResult(f"h-{n}", app=celery_app) for n in range(2)])
    backend.apply_chord(header, {"chord_size": None})
    backend.store_result("h-0", 1, states.SUCCESS)
    return request


def part_returns(backend, task_id: str) -> None:
    backend.on_chord_part_return(Context(id=task_id, group="chord-1", chord=None), "SUCCESS", 1)


def expire_everything(backend, task_result_model) -> None:
    past = timezone.now() - datetime.timedelta(days=30)
    task_result_model._default_manager.update(date_done=past)
    get_group_result_model()._default_manager.update(date_done=past)
    backend.cleanup()


OPERATIONS = {
    "store a started state": lambda b, m, r: b.store_result("t-2", None, "STARTED", request=r),
    "store a final state": lambda b, m, r: b.store_result("t-1", 2, states.SUCCESS, request=r),
    "get a task's meta": lambda b, m, r: b.get_task_meta("t-1", cache=False),
    "get an unknown task's meta": lambda b, m, r: b.get_task_meta("nope", cache=False),
    "forget a task": lambda b, m, r: b.forget("t-1"),
    "save a group": lambda b, m, r: b.save_group("g-2", GroupResult("g-2", [])),
    "restore a group": lambda b, m, r: b.restore_group("g-1", cache=False),
    "delete a group": lambda b, m, r: b.delete_group("g-1"),
    "start a chord": lambda b, m, r: b.apply_chord(GroupResult("chord-2", []), {"chord_size": 1}),
    "count a chord part": lambda b, m, r: part_returns(b, "h-0"),
    "clean up expired results": lambda b, m, r: expire_everything(b, m),
}


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_an_execute_wrapper_and_the_query_log_see_every_statement(
    name, backend, task_result_model, stored
):
    seen = run_watched(lambda: OPERATIONS[name](backend, task_result_model, stored))

    assert seen.wrapped, "no statement ran"
    # The log holds each statement as sent (with its values on SQLite).
    assert [first_word(sql) for sql in seen.captured] == [first_word(sql) for sql in seen.wrapped]
    if connection.vendor == "sqlite":
        # The driver ran exactly these statements, in this order.
        assert [first_word(sql) for sql in by_the_backend(seen.traced)] == [
            first_word(sql) for sql in seen.wrapped
        ]


def test_the_write_path_is_two_statements_both_seen(backend, make_request):
    request = make_request()

    seen = run_watched(
        lambda: [
            backend.store_result(request.id, None, states.STARTED, request=request),
            backend.store_result(request.id, 3, states.SUCCESS, request=request),
        ]
    )

    # Inside the test's transaction, a custom model's write has a savepoint around it.
    savepoints = ("SAVEPOINT", "RELEASE")
    for statements in (seen.wrapped, seen.captured):
        words = [first_word(sql) for sql in statements]
        assert [word for word in words if word not in savepoints] == ["INSERT", "INSERT"]


def test_a_write_in_a_broken_transaction_is_refused_like_any_query(backend):
    with transaction.atomic():
        connection.needs_rollback = True  # as after an error the code went on from
        with pytest.raises(TransactionManagementError):
            backend.store_result("t-broken", 1, states.SUCCESS)


def prepared_statements() -> list[str]:
    """The first word of each statement prepared by the driver on this PostgreSQL session."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return sorted(first_word(row[0]) for row in cursor.fetchall())


@pytest.mark.postgres
def test_the_upsert_and_the_select_are_prepared_on_postgresql(backend, make_request):
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # psycopg forgets its own too
    request = make_request()

    backend.store_result(request.id, None, states.STARTED, request=request)
    backend.get_task_meta(request.id, cache=False)

    assert prepared_statements() == ["INSERT", "SELECT"]


@pytest.mark.postgres
def test_prepared_statements_turned_off_prepare_nothing(backend, make_request, settings):
    settings.CELERY_RESULTS_PREPARED_STATEMENTS = False
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    request = make_request()

    seen = run_watched(
        lambda: [
            backend.store_result(request.id, None, states.STARTED, request=request),
            backend.get_task_meta(request.id, cache=False),
        ]
    )

    assert prepared_statements() == []
    assert [first_word(sql) for sql in seen.wrapped if "SAVEPOINT" not in sql.upper()] == [
        "INSERT",
        "SELECT",
    ]


def test_a_cursor_method_replaced_on_the_connection_sees_the_statements(backend, monkeypatch):
    """As django-debug-toolbar replaces ``connection.cursor`` to wrap what it returns."""
    handed_out = []
    original = connection.cursor

    def cursor(*args, **kwargs):
        handed_out.append(original(*args, **kwargs))
        return handed_out[-1]

    monkeypatch.setattr(connection, "cursor", cursor)
    backend.store_result("t-1", 1, states.SUCCESS)
    backend.get_task_meta("t-1", cache=False)

    assert len(handed_out) >= 2
