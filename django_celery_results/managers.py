"""All ORM writes of the result store: the upsert, batched expiry, groups, chords.

Each stored state is one ``INSERT ... ON CONFLICT DO UPDATE`` statement, built
once per model and column set and run on the connection the router picks
for writes.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): Django: ``BaseDatabaseWrapper.ops`` and
``features.allow_sliced_subqueries_with_in``; the rest through
:mod:`django_celery_results.statements`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, TypeVar

from celery import states
from celery.utils.time import maybe_timedelta
from django.core.exceptions import ObjectDoesNotExist
from django.db import connections, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from .conf import CLEANUP_BATCH_SIZE, get_setting
from .statements import (
    FAST_VENDORS,
    build_insert_sent,
    build_select_by_key,
    build_upsert,
    execute,
    fetch_one,
)

# Upstream exported these from this module; code written for 2.6 imports them here.
from .transactions import W_ISOLATION_REP, TxIsolationWarning, transaction_retry  # noqa: F401

_M = TypeVar("_M", bound=models.Model)

# A task in one of these states is done; only another of them may replace it.
FINAL_STATES = tuple(sorted(states.READY_STATES))
# Sent tasks per INSERT statement: PostgreSQL takes at most 65,535 parameters.
SENT_ROWS_PER_STATEMENT = 500


class UpsertManager(models.Manager[_M]):
    """Manager whose writes are single-statement upserts on the write database."""

    def write_alias(self) -> str:
        """Return the database writes go to: the one named by ``db_manager``/``using``, if any,
        else the one the router picks for writes of this model (as Django's managers do)."""
        return self._db or router.db_for_write(self.model)

    def connection_for_write(self) -> BaseDatabaseWrapper:
        """Return the connection of :meth:`write_alias`."""
        return connections[self.write_alias()]

    def connection_for_read(self) -> BaseDatabaseWrapper:
        """Return the connection the router picks for reads of this model."""
        return connections[self.db]

    def upsert(
        self,
        values: Mapping[str, Any],
        conflict: str,
        using: str | None = None,
        final_states: tuple[str, ...] = (),
    ) -> None:
        """Insert ``values`` (attname -> value), or update the row with the same ``conflict``.

        One SQL statement; ``date_created`` keeps the value of the first write.
        A row whose status is in ``final_states`` only takes a write of one of them.
        """
        alias = using or self.write_alias()
        connection = connections[alias]
        if connection.vendor not in FAST_VENDORS:
            self._upsert_with_orm(values, conflict, alias, final_states)
            return
        statement = build_upsert(
            self.model, connection.vendor, tuple(values), conflict, connection.ops, final_states
        )
        execute(connection, statement.sql, statement.params(values, connection))

    def _upsert_with_orm(
        self, values: Mapping[str, Any], conflict: str, alias: str, final_states: tuple[str, ...]
    ) -> None:
        """Upsert on databases without ``ON CONFLICT``, under a row lock."""
        values = dict(values)
        key = {conflict: values.pop(conflict)}
        created = values.pop("date_created", None)
        with transaction.atomic(using=alias):
            rows = self.using(alias).select_for_update().filter(**key)
            if not rows.exists():
                self.using(alias).create(**key, **values)
                # auto_now_add and auto_now override given dates on create, not on update.
                given = {"date_created": created, "date_done": values.get("date_done")}
                rows.update(**{name: value for name, value in given.items() if value is not None})
            elif values.get("status") in final_states or not final_states:
                rows.update(**values)
            else:
                rows.exclude(status__in=final_states).update(**values)


class ResultManager(UpsertManager[_M]):
    """Generic manager for celery results: upserts plus expiry."""

    def get_all_expired(self, expires: timedelta | float) -> models.QuerySet[_M]:
        """Return the results whose ``date_done`` is older than ``expires``."""
        return self.filter(date_done__lt=timezone.now() - maybe_timedelta(expires))

    def delete_expired(self, expires: timedelta | float, batch_size: int | None = None) -> int:
        """Delete expired results in batches on the write database; return how many."""
        cutoff = timezone.now() - maybe_timedelta(expires)
        return self._delete_where(models.Q(date_done__lt=cutoff), batch_size)

    def _delete_where(self, condition: models.Q, batch_size: int | None) -> int:
        """Delete the rows matching ``condition`` in batches on the write database."""
        rows = self.using(self.write_alias()).filter(condition)
        return delete_in_batches(rows, batch_size or get_setting(CLEANUP_BATCH_SIZE))


def delete_in_batches(queryset: models.QuerySet[Any], batch_size: int) -> int:
    """Delete the rows of ``queryset`` ``batch_size`` at a time; return how many.

    Each batch is one statement in a transaction of its own, so the rows it
    locks are released before the next batch starts. Where the database
    allows a LIMIT inside ``IN`` (PostgreSQL, SQLite), a batch is a single
    ``DELETE ... WHERE pk IN (SELECT pk ... LIMIT n)``: no ids travel to this
    process and back, and no 5,000-parameter statement is planned per batch.
    """
    connection = connections[queryset.db]
    base = queryset.model._base_manager.using(queryset.db)
    deleted = 0
    while True:
        if connection.features.allow_sliced_subqueries_with_in:
            batch: Any = queryset.values("pk")[:batch_size]
        else:
            batch = list(queryset.values_list("pk", flat=True)[:batch_size])
            if not batch:
                return deleted
        total, per_model = base.filter(pk__in=batch).delete()
        deleted += total
        # A short batch was the last one (cascaded rows are not counted against it).
        if per_model.get(queryset.model._meta.label, 0) < batch_size:
            return deleted


class TaskResultManager(ResultManager[_M]):
    """Manager for task result models."""

    def delete_expired(
        self,
        expires: timedelta | float | None,
        batch_size: int | None = None,
        unfinished_expires: timedelta | float | None = None,
    ) -> int:
        """Delete expired task results in batches; return how many.

        With ``unfinished_expires``, a task that never reached a final state
        (left PENDING, STARTED or RETRY by a lost message or worker) expires
        that long after its last stored state, and finished ones after
        ``expires`` (never, if it is None); without it, all after ``expires``.
        """
        if unfinished_expires is None:
            return super().delete_expired(expires, batch_size) if expires is not None else 0
        now = timezone.now()
        expired = ~models.Q(status__in=FINAL_STATES) & models.Q(
            date_done__lt=now - maybe_timedelta(unfinished_expires)
        )
        if expires is not None:
            cutoff = now - maybe_timedelta(expires)
            expired |= models.Q(status__in=FINAL_STATES, date_done__lt=cutoff)
        return self._delete_where(expired, batch_size)

    def store_result(
        self,
        content_type: str,
        content_encoding: str,
        task_id: str,
        result: Any,
        status: str,
        traceback: str | None = None,
        meta: str | None = None,
        periodic_task_name: str | None = None,
        task_name: str | None = None,
        task_args: str | None = None,
        task_kwargs: str | None = None,
        worker: str | None = None,
        using: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Store the state of a task, overwriting every standard column (upstream's API).

        ``date_started`` may be passed as a keyword; other keywords are ignored.
        """
        values = {
            "task_id": task_id,
            "status": status,
            "result": result,
            "traceback": traceback,
            "meta": meta,
            "content_encoding": content_encoding,
            "content_type": content_type,
            "periodic_task_name": periodic_task_name,
            "task_name": task_name,
            "task_args": task_args,
            "task_kwargs": task_kwargs,
            "worker": worker,
        }
        if "date_started" in kwargs:
            values["date_started"] = kwargs["date_started"]
        self.store_values(values, using=using)

    def store_values(self, values: Mapping[str, Any], using: str | None = None) -> None:
        """Upsert one task state from ``values`` (attname -> value); only those columns change.

        A state that is not final (RETRY, STARTED, ...) arriving after a final
        one (SUCCESS, FAILURE, REVOKED) is ignored: workers can race, and the
        final state is the one that counts.
        """
        # A STARTED state brings its own time, so that created <= started <= done.
        now = values.get("date_started") or timezone.now()
        values = {**values, "date_done": now, "date_created": now}
        self.upsert(values, "task_id", using, final_states=FINAL_STATES)

    def store_sent(self, rows: list[Mapping[str, Any]], using: str | None = None) -> None:
        """Store sent tasks as PENDING rows, many per statement; never replace a stored state.

        Every row holds the same columns (attnames), with the send time as
        ``date_created`` and ``date_done``. Where the task's row exists
        already (its worker stored a state first), only an earlier send time
        is kept, as ``date_created``, so that its waiting time is known.
        """
        if not rows:
            return
        alias = using or self.write_alias()
        connection = connections[alias]
        if connection.vendor not in FAST_VENDORS:
            # Elsewhere, no statement keeps the earlier date: a stored row is left as it is.
            objects = [self.model(**row) for row in rows]
            self.using(alias).bulk_create(objects, ignore_conflicts=True)
            return
        statement = build_insert_sent(self.model, connection.vendor, tuple(rows[0]), connection.ops)
        per_statement = SENT_ROWS_PER_STATEMENT
        if connection.vendor == "sqlite":
            limit = _sqlite_variable_limit(connection)
            per_statement = min(per_statement, limit // len(statement.fields + statement.defaulted))
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            execute(connection, statement.sql(len(chunk)), statement.params(chunk, connection))

    def get_task(self, task_id: str) -> _M:
        """Return the result of ``task_id`` (from the write database), or an unsaved PENDING one."""
        try:
            return self.using(self.write_alias()).get(task_id=task_id)
        except ObjectDoesNotExist:
            return self.model(task_id=task_id)

    def get_task_values(self, task_id: str, fields: tuple[str, ...]) -> dict[str, Any] | None:
        """Return ``fields`` (attnames) of the result of ``task_id`` as a dict, or None.

        One prepared SELECT on the database the router picks for writes, so that
        a client or worker reads its own writes, never a lagging replica;
        values converted as the ORM would.
        """
        alias = self.write_alias()
        connection = connections[alias]
        if connection.vendor not in FAST_VENDORS:
            rows = list(self.using(alias).filter(task_id=task_id).values(*fields)[:1])
            return rows[0] if rows else None
        statement = build_select_by_key(self.model, connection, fields, "task_id")
        row = fetch_one(connection, statement.sql, [task_id])
        return None if row is None else statement.as_dict(row, connection)

    def forget(self, task_id: str) -> None:
        """Delete the result of ``task_id``, if there is one."""
        self.using(self.write_alias()).filter(task_id=task_id).delete()


def _sqlite_variable_limit(connection: BaseDatabaseWrapper) -> int:
    """Return how many parameters one SQLite statement takes (999 where it cannot be asked)."""
    import sqlite3

    connection.ensure_connection()
    limit = getattr(sqlite3, "SQLITE_LIMIT_VARIABLE_NUMBER", None)  # Python 3.11+
    if limit is None:
        return connection.features.max_query_params or 999
    return int(connection.connection.getlimit(limit))


class GroupResultManager(ResultManager[_M]):
    """Manager for group result models."""

    def get_group(self, group_id: str) -> _M:
        """Return the result of ``group_id`` (from the write database), or an unsaved instance."""
        try:
            return self.using(self.write_alias()).get(group_id=group_id)
        except ObjectDoesNotExist:
            return self.model(group_id=group_id)

    def store_group_result(
        self,
        content_type: str,
        content_encoding: str,
        group_id: str,
        result: str,
        using: str | None = None,
    ) -> None:
        """Store the result of a group in one statement."""
        now = timezone.now()
        values = {
            "group_id": group_id,
            "result": result,
            "content_encoding": content_encoding,
            "content_type": content_type,
            "date_done": now,
            "date_created": now,
        }
        self.upsert(values, "group_id", using)

    def forget(self, group_id: str) -> None:
        """Delete the result of ``group_id``, if there is one."""
        self.using(self.write_alias()).filter(group_id=group_id).delete()


class ChordCounterManager(UpsertManager[_M]):
    """Manager for chord counters: create, count down under a lock, expire."""

    def create_counter(self, group_id: str, sub_tasks: str, count: int) -> None:
        """Create the counter of a chord header (a redelivered header resets it)."""
        self.upsert({"group_id": group_id, "sub_tasks": sub_tasks, "count": count}, "group_id")

    def count_down(self, group_id: str, task_model: type[models.Model]) -> _M | None:
        """Count a finished header task of a chord; return its counter once, when complete.

        Raise ``DoesNotExist`` when the chord has no counter (any more).

        While more than one header task is outstanding, a finished one costs a
        single ``UPDATE`` that decrements the count: constant work, whatever
        the chord's size. When the count says the header is done, the ready
        header results are counted under the counter's row lock; a header task
        delivered twice counted twice shows there, and the count is set to
        what really remains. So a chord costs O(n) in all, a redelivered
        header task is never taken for another, and exactly one caller
        deletes the counter and gets it back.
        """
        alias = self.write_alias()
        counters = self.using(alias).filter(group_id=group_id)
        if counters.filter(count__gt=1).update(count=models.F("count") - 1):
            return None
        return self._complete_or_recount(group_id, counters, task_model)

    def _complete_or_recount(
        self, group_id: str, counters: models.QuerySet, task_model: type[models.Model]
    ) -> _M | None:
        """Delete the counter if every header result is ready, else store what remains."""
        connection = connections[counters.db]
        # SQLite has no row locks; there, the DELETE's row count alone decides.
        lock = connection.features.has_select_for_update
        with transaction.atomic(using=counters.db) if lock else contextlib.nullcontext():
            counter = (counters.select_for_update() if lock else counters).first()
            if counter is None:
                # The model's own DoesNotExist, which callers catch; the stubs
                # do not know it on a type variable bound to Model.
                missing = self.model.DoesNotExist  # type: ignore[attr-defined]
                raise missing(f"No chord counter for group {group_id}")
            header_ids = counter.header_task_ids()
            if header_ids:
                ready = (
                    task_model._default_manager.using(self._db or router.db_for_write(task_model))
                    .filter(task_id__in=header_ids, status__in=states.READY_STATES)
                    .count()
                )
                remaining = max(len(header_ids) - ready, 0)
            else:
                remaining = max(counter.count - 1, 0)
            if remaining:
                counters.update(count=remaining)
                return None
            deleted, _ = counters.delete()
        return counter if deleted else None

    def delete_expired(self, expires: timedelta | float, task_model: type[models.Model]) -> int:
        """Delete counters of chords with an expired header result; return how many.

        Such a chord can never be joined (its header results are being
        deleted), so without this its counter would stay forever.
        """
        alias = self.write_alias()
        cutoff = timezone.now() - maybe_timedelta(expires)
        results = task_model._default_manager.using(self._db or router.db_for_write(task_model))
        stale = [
            counter.pk
            for counter in self.using(alias).only("pk", "sub_tasks").iterator()
            if results.filter(task_id__in=counter.header_task_ids(), date_done__lt=cutoff).exists()
        ]
        deleted, _ = self.using(alias).filter(pk__in=stale).delete()
        return deleted
