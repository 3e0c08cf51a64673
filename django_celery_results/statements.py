"""Hand-built statements of the hot paths: the upsert of each stored state, the read by key.

Statements are built once per model and column set, and run through the
cursor Django gives (``connection.cursor()``), like any ORM query: execute
wrappers, query logging (``CaptureQueriesContext``, ``DEBUG``), instruments
that patch Django's cursor (Sentry, django-debug-toolbar), the check for a
broken transaction and the translation of driver errors all see them. On
psycopg 3 the statement is also prepared on the server: Django's cursor
binds on the client and cannot prepare, so the driver cursor under Django's
wrapper is a server-binding one kept with the connection (see ``_run``).
When nothing wraps, logs or replaces the cursor, the same checks are made
without building a wrapper per statement, which cost more than the statement.

Why not ``QuerySet.bulk_create(update_conflicts=True)``, which also builds
``INSERT ... ON CONFLICT DO UPDATE``: it has no condition on the update. The
store must not let a state that is not final (STARTED, RETRY) replace a
final one (SUCCESS, FAILURE, REVOKED) that a faster worker stored first,
which needs ``DO UPDATE ... WHERE`` on PostgreSQL and SQLite, and an ``IF()``
per column on MySQL; ``bulk_create`` can express neither. It would also
build the statement anew on every call.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): Django: ``BaseDatabaseWrapper._thread_ident``,
``close_if_health_check_failed()``, ``validate_no_broken_transaction()``,
``wrap_database_errors``, ``create_cursor()``, ``make_cursor()``,
``make_debug_cursor()``, ``execute_wrappers`` and ``queries_logged``;
``CursorWrapper.APPS_NOT_READY_WARNING_MSG``;
``django.db.backends.sqlite3.base.FORMAT_QMARK_REGEX``;
``Options.concrete_fields``, ``Field.get_col()`` and ``get_db_converters()``.
psycopg: ``Cursor._send_query_prepared()`` and ``Cursor._query`` (the
statement Django's query log reads).
"""

from __future__ import annotations

import _thread
import datetime
import functools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

from .columns import column, concrete_field, key_field
from .conf import use_prepared_statements

# Columns an upsert never overwrites once the row exists.
KEPT_ON_UPDATE = frozenset({"date_created"})
FAST_VENDORS = frozenset({"postgresql", "sqlite", "mysql"})
# Values of these fields go to the driver as they are: preparing a str is a no-op.
PASSED_AS_IS = (models.CharField, models.TextField)
NEVER_AUTOMATICALLY = 2**31 - 1
# Ints whose parameter an integer column's preparer keeps.
REMEMBERED_INTS = 1024

try:
    import psycopg
except ImportError:  # psycopg 2, or no PostgreSQL at all
    psycopg = None  # type: ignore[assignment]


Preparer = Callable[[Any, BaseDatabaseWrapper], Any]


@dataclass(frozen=True)
class Upsert:
    """An upsert statement, the fields whose values it takes, and those it defaults."""

    sql: str
    fields: tuple[models.Field, ...]
    defaulted: tuple[models.Field, ...]
    preparers: tuple[Preparer | None, ...]
    default_preparers: tuple[Preparer | None, ...]

    def params(self, values: Mapping[str, Any], connection: BaseDatabaseWrapper) -> list[Any]:
        """Return the statement's parameters for ``values``, given in ``fields`` order."""
        params = list(values.values())
        if len(params) != len(self.fields):
            raise ValueError(f"{len(params)} values for {len(self.fields)} columns")
        for index, prepare in self.prepared:
            params[index] = prepare(params[index], connection)
        for field, default_prepare in zip(self.defaulted, self.default_preparers, strict=True):
            value = field.get_default()
            params.append(value if default_prepare is None else default_prepare(value, connection))
        return params

    @functools.cached_property
    def prepared(self) -> tuple[tuple[int, Preparer], ...]:
        """The position and preparer of each given value that is not passed as it is."""
        return tuple(
            (index, prepare) for index, prepare in enumerate(self.preparers) if prepare is not None
        )


def value_preparer(
    field: models.Field, vendor: str, last_instant: list[tuple[Any, Any]]
) -> Preparer | None:
    """Return how a value of ``field`` becomes a parameter on ``vendor`` (None: as it is).

    Django's ``get_db_prep_save`` with four shortcuts that give the same
    parameter: a string for a text column, an aware date-time or None for
    PostgreSQL (which Django would pass on unchanged), an integer column's
    parameter for an int it prepared before (a tenant's id, an attempt
    number: the same few values on every state), and elsewhere the
    parameter of the aware date-time a plain ``DateTimeField`` sharing
    ``last_instant`` prepared last, for that same date-time.
    """
    if isinstance(field, PASSED_AS_IS):
        return None
    if vendor == "postgresql" and isinstance(field, models.DateTimeField):

        def prepare(value: Any, connection: BaseDatabaseWrapper) -> Any:
            if value is None or (type(value) is datetime.datetime and value.tzinfo is not None):
                return value
            return field.get_db_prep_save(value, connection)

        return prepare
    if type(field) is models.DateTimeField:
        return _remembering_last_instant(field.get_db_prep_save, last_instant)
    if isinstance(key_field(field), models.IntegerField):
        return _remembering_ints(field.get_db_prep_save)
    return field.get_db_prep_save


def _remembering_last_instant(prepare: Preparer, last: list[tuple[Any, Any]]) -> Preparer:
    """Return ``prepare``, reusing the parameter in ``last`` when given that same aware date-time.

    A plain ``DateTimeField`` prepares an aware date-time the same way
    whichever field it is (only a naive one is warned about by name), so
    the fields of one statement can share the answer.
    """

    def remembered(value: Any, connection: BaseDatabaseWrapper) -> Any:
        if type(value) is not datetime.datetime or value.tzinfo is None:
            return prepare(value, connection)
        instant, parameter = last[0]
        if instant is not value:
            parameter = prepare(value, connection)
            last[0] = (value, parameter)
        return parameter

    return remembered


def _preparers_of(
    fields: tuple[models.Field, ...], defaulted: tuple[models.Field, ...], vendor: str
) -> tuple[tuple[Preparer | None, ...], tuple[Preparer | None, ...]]:
    """Return the preparers of a statement's given fields and of its defaulted ones.

    Their date-time columns share what they prepared last: a stored state
    writes one instant in two or three of them.
    """
    last_instant: list[tuple[Any, Any]] = [(None, None)]
    every = (*fields, *defaulted)
    preparers = tuple(value_preparer(field, vendor, last_instant) for field in every)
    return preparers[: len(fields)], preparers[len(fields) :]


def _remembering_ints(prepare: Preparer) -> Preparer:
    """Return ``prepare``, remembering its parameter for each int it is given.

    One preparer serves one statement of one connection (statements are
    built per ``connection.ops``), so an int's parameter never changes.
    """
    known: dict[int, Any] = {}

    def remembered(value: Any, connection: BaseDatabaseWrapper) -> Any:
        if type(value) is not int:
            return prepare(value, connection)
        parameter = known.get(value, known)
        if parameter is known:
            parameter = prepare(value, connection)
            if len(known) >= REMEMBERED_INTS:
                known.clear()
            known[value] = parameter
        return parameter

    return remembered


def given_and_defaulted(
    model: type[models.Model], columns: tuple[str, ...]
) -> tuple[tuple[models.Field, ...], tuple[models.Field, ...]]:
    """Return the fields of ``columns`` and the other columns an insert fills with their default.

    The primary key and columns with a database default are left to the database.
    """
    fields = tuple(concrete_field(model, name) for name in columns)
    given = {field.attname for field in fields}
    defaulted = tuple(
        field
        for field in model._meta.concrete_fields
        if field.attname not in given
        and not field.primary_key
        and not (hasattr(field, "has_db_default") and field.has_db_default())
    )
    return fields, defaulted


@functools.lru_cache(maxsize=512)
def build_upsert(
    model: type[models.Model],
    vendor: str,
    columns: tuple[str, ...],
    conflict: str,
    ops: Any,
    final_states: tuple[str, ...] = (),
) -> Upsert:
    """Return the upsert of ``columns`` (attnames) into ``model``'s table, keyed on ``conflict``.

    Columns not given are inserted with their field's default, as the ORM
    would, and left alone when the row exists. With ``final_states``, a row
    whose ``status`` is one of them is only updated by a write of one of
    them: a late RETRY or STARTED never hides a result.
    """
    opts = model._meta
    fields, defaulted = given_and_defaulted(model, columns)
    quote = ops.quote_name
    names = [quote(column(field)) for field in (*fields, *defaulted)]
    updated = [
        quote(column(field))
        for field in fields
        if field.attname != conflict and field.attname not in KEPT_ON_UPDATE
    ]
    placeholder = "%s"  # Django's cursor converts it for SQLite
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({', '.join(names)}) "
        f"VALUES ({', '.join([placeholder] * len(names))})"
    )
    table = quote(opts.db_table)
    status = quote(column(concrete_field(model, "status"))) if final_states else ""
    finals = ", ".join(f"'{state}'" for state in final_states)
    if vendor == "mysql":
        if final_states:
            # Assignments run left to right, so status, which the condition reads, goes last.
            keep = f"{table}.{status} NOT IN ({finals}) OR VALUES({status}) IN ({finals})"
            updated.sort(key=lambda name: name == status)
            sets = ", ".join(f"{n} = IF({keep}, VALUES({n}), {table}.{n})" for n in updated)
        else:
            sets = ", ".join(f"{n} = VALUES({n})" for n in updated)
        sql += f" ON DUPLICATE KEY UPDATE {sets}"
    else:
        target = quote(column(concrete_field(model, conflict)))
        sets = ", ".join(f"{name} = EXCLUDED.{name}" for name in updated)
        sql += f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
        if final_states:
            sql += f" WHERE {table}.{status} NOT IN ({finals}) OR EXCLUDED.{status} IN ({finals})"
    return Upsert(
        sql,
        fields,
        defaulted,
        *_preparers_of(fields, defaulted, vendor),
    )


@dataclass(frozen=True)
class SelectByKey:
    """A one-row SELECT of some columns by a unique column, with Django's value converters."""

    sql: str
    names: tuple[str, ...]
    converters: tuple[tuple[Any, ...], ...]
    columns: tuple[Any, ...]

    def as_dict(self, row: tuple, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        """Return ``row`` as attname -> Python value, converted as the ORM would."""
        values = dict(zip(self.names, row, strict=True))
        for index, name, converters, expression in self.converted:
            value = row[index]
            for converter in converters:
                value = converter(value, expression, connection)
            values[name] = value
        return values

    @functools.cached_property
    def converted(self) -> tuple[tuple[int, str, tuple[Any, ...], Any], ...]:
        """The position, name, converters and column of each column that has converters."""
        return tuple(
            (index, name, converters, column)
            for index, (name, converters, column) in enumerate(
                zip(self.names, self.converters, self.columns, strict=True)
            )
            if converters
        )


@functools.lru_cache(maxsize=128)
def build_select_by_key(
    model: type[models.Model], connection: BaseDatabaseWrapper, names: tuple[str, ...], key: str
) -> SelectByKey:
    """Return the SELECT of ``names`` (attnames) from ``model``'s table where ``key`` matches."""
    opts = model._meta
    quote = connection.ops.quote_name
    fields = [concrete_field(model, name) for name in names]
    columns = tuple(field.get_col(opts.db_table) for field in fields)
    converters = tuple(
        tuple(connection.ops.get_db_converters(column) + field.get_db_converters(connection))
        for field, column in zip(fields, columns, strict=True)
    )
    mark = "%s"
    sql = (
        f"SELECT {', '.join(quote(column(field)) for field in fields)} "
        f"FROM {quote(opts.db_table)} WHERE {quote(column(concrete_field(model, key)))} = {mark}"
    )
    return SelectByKey(sql, names, converters, columns)


def execute(connection: BaseDatabaseWrapper, sql: str, params: list[Any]) -> None:
    """Run the statement ``sql`` through Django's cursor on ``connection``."""
    _run(connection, sql, params, fetch=False)


def fetch_one(connection: BaseDatabaseWrapper, sql: str, params: list[Any]) -> tuple | None:
    """Run the query ``sql`` like :func:`execute` and return its first row, or None."""
    return _run(connection, sql, params, fetch=True)


def _run(connection: BaseDatabaseWrapper, sql: str, params: list[Any], fetch: bool) -> Any:
    """Run ``sql`` as Django's cursor would, and return its first row if ``fetch``.

    With execute wrappers installed, queries logged, or ``connection.cursor``
    replaced, the statement goes through the full cursor wrapper
    (:func:`_run_in_wrapper`). Otherwise there is nothing for a wrapper to
    call, so the same checks ``connection.cursor()`` and
    ``CursorWrapper.execute`` make are made here without building one per
    statement: on the write path the wrapper cost more than the statement.
    """
    # As connection.cursor() does: with CONN_HEALTH_CHECKS, a connection kept
    # from a previous request or task is checked before its first statement.
    # Connecting comes first: a connection_created receiver may add a wrapper.
    connection.close_if_health_check_failed()
    if connection.connection is None:
        connection.ensure_connection()
    if connection.execute_wrappers or connection.queries_logged or "cursor" in connection.__dict__:
        return _run_in_wrapper(connection, sql, params, fetch)
    if connection._thread_ident != _thread.get_ident():  # type: ignore[attr-defined]
        connection.validate_thread_sharing()
    # What CursorWrapper._execute checks.
    if not apps.ready and not apps.stored_app_configs:
        warnings.warn(CursorWrapper.APPS_NOT_READY_WARNING_MSG, RuntimeWarning, stacklevel=3)
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        if connection.vendor == "sqlite":
            # Django's SQLite cursor turns %s into ? on every call; done once per statement here.
            driver_cursor, kept = connection.connection.execute(_qmark(sql), params), False
        else:
            driver_cursor, kept = _driver_cursor(connection)
            driver_cursor.execute(sql, params)
        try:
            return driver_cursor.fetchone() if fetch else None
        finally:
            if not kept:
                # A cursor left open could hold a lock: an SQLite statement not
                # stepped to its end keeps the database's read lock.
                driver_cursor.close()


@functools.lru_cache(maxsize=256)
def _qmark(sql: str) -> str:
    """Return ``sql`` with ``%s`` placeholders as SQLite's ``?``, as Django's SQLite cursor does."""
    from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

    return FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")


def _run_in_wrapper(
    connection: BaseDatabaseWrapper, sql: str, params: list[Any], fetch: bool
) -> Any:
    """Run ``sql`` in the cursor wrapper ``connection.cursor()`` would give.

    ``connection.cursor()`` wraps a new driver cursor in Django's
    ``CursorWrapper`` (``CursorDebugWrapper`` while queries are logged) after
    checking the connection; this does the same around the driver cursor
    ``_driver_cursor`` gives: on psycopg 3 one kept with the connection that
    prepares its statements. Execute wrappers, the query log, the
    broken-transaction check and error translation all happen in the
    wrapper, as for any query. If something has replaced this connection's
    ``cursor`` method (django-debug-toolbar does), its cursor is used, with
    that driver cursor inside it for this one statement.
    """
    replaced = "cursor" in connection.__dict__
    if replaced:
        cursor = connection.cursor()
        own = cursor.cursor
        driver_cursor, kept = _driver_cursor(connection)
        cursor.cursor = driver_cursor
    else:
        # The connection is open and checked (see _run).
        connection.validate_thread_sharing()
        driver_cursor, kept = _driver_cursor(connection)
        if connection.queries_logged:
            cursor = connection.make_debug_cursor(driver_cursor)
        else:
            cursor = connection.make_cursor(driver_cursor)
    try:
        cursor.execute(sql, params)
        if not fetch:
            return None
        with connection.wrap_database_errors:
            return driver_cursor.fetchone()
    finally:
        if not kept:
            # A cursor left open could hold a lock: an SQLite statement not
            # stepped to its end keeps the database's read lock.
            driver_cursor.close()
        if replaced:
            cursor.cursor = own
            cursor.close()


def _driver_cursor(connection: BaseDatabaseWrapper) -> tuple[Any, bool]:
    """Return the driver cursor for one statement, and whether it is kept for the next ones.

    On psycopg 3 with ``CELERY_RESULTS_PREPARED_STATEMENTS`` (the default),
    a cursor kept with the connection, binding parameters on the server and
    preparing each statement: Django's own psycopg cursor binds on the
    client, which cannot prepare. Elsewhere a new cursor of Django's backend
    (on SQLite, the one that turns ``%s`` into ``?``), closed after use.
    """
    if psycopg is None or connection.vendor != "postgresql" or not use_prepared_statements():
        return connection.create_cursor(), False
    driver_connection = connection.connection
    kept = connection.__dict__.get("_celery_results_cursor")
    if kept is not None and kept[0] is driver_connection:
        return kept[1], True
    if driver_connection.prepare_threshold is None:
        # Django turns psycopg's statement preparation off, which also
        # refuses explicit requests; a threshold never reached re-allows
        # them while every other query stays unprepared.
        driver_connection.prepare_threshold = NEVER_AUTOMATICALLY
    cursor = PreparingCursor(driver_connection)
    connection.__dict__["_celery_results_cursor"] = (driver_connection, cursor)
    return cursor, True


if psycopg is not None:

    class PreparingCursor(psycopg.Cursor):
        """A server-binding psycopg cursor that prepares every statement it executes."""

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            kwargs.setdefault("prepare", True)
            return super().execute(query, params, **kwargs)

        def _send_query_prepared(self, name: bytes, pgq: Any, **kwargs: Any) -> None:
            # psycopg records the query it sent only when it does not prepare
            # it; Django's query log reads that record (last_executed_query).
            self._query = pgq
            super()._send_query_prepared(name, pgq, **kwargs)


@dataclass(frozen=True)
class InsertSent:
    """A many-row INSERT of sent (PENDING) tasks that never replaces a stored state.

    A row that exists already (the worker was faster) only takes the send
    time, as ``date_created``, when it is earlier than the one it holds.
    """

    head: str
    row: str
    tail: str
    fields: tuple[models.Field, ...]
    defaulted: tuple[models.Field, ...]
    preparers: tuple[Preparer | None, ...]
    default_preparers: tuple[Preparer | None, ...]

    def sql(self, count: int) -> str:
        """Return the statement for ``count`` rows."""
        return f"{self.head}{', '.join([self.row] * count)}{self.tail}"

    def params(self, rows: list[Mapping[str, Any]], connection: BaseDatabaseWrapper) -> list[Any]:
        """Return the parameters of ``rows`` (attname -> value, all with ``fields``' keys)."""
        params: list[Any] = []
        for row in rows:
            for field, prepare in zip(self.fields, self.preparers, strict=True):
                value = row[field.attname]
                params.append(value if prepare is None else prepare(value, connection))
            for field, prepare in zip(self.defaulted, self.default_preparers, strict=True):
                value = field.get_default()  # per row: a callable default gives each its own
                params.append(value if prepare is None else prepare(value, connection))
        return params


@functools.lru_cache(maxsize=64)
def build_insert_sent(
    model: type[models.Model], vendor: str, columns: tuple[str, ...], ops: Any
) -> InsertSent:
    """Return the many-row insert of sent tasks into ``model``'s table, run by :func:`execute`."""
    opts = model._meta
    fields, defaulted = given_and_defaulted(model, columns)
    quote = ops.quote_name
    table = quote(opts.db_table)
    names = [quote(column(field)) for field in (*fields, *defaulted)]
    created = quote(column(concrete_field(model, "date_created")))
    head = f"INSERT INTO {table} ({', '.join(names)}) VALUES "
    row = f"({', '.join(['%s'] * len(names))})"
    if vendor == "mysql":
        tail = f" ON DUPLICATE KEY UPDATE {created} = LEAST({created}, VALUES({created}))"
    else:
        key = quote(column(concrete_field(model, "task_id")))
        tail = (
            f" ON CONFLICT ({key}) DO UPDATE SET {created} = EXCLUDED.{created}"
            f" WHERE EXCLUDED.{created} < {table}.{created}"
        )
    return InsertSent(
        head,
        row,
        tail,
        fields,
        defaulted,
        *_preparers_of(fields, defaulted, vendor),
    )
