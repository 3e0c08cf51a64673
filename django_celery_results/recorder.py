"""Store sent tasks from a background thread, many rows per statement.

The thread of a process that sends tasks (see :mod:`django_celery_results.sent`)
only queues each task's row; this writer stores what has gathered, a few
milliseconds after the first row arrives, on a database connection of its
own. So a group of 1,000 tasks costs a handful of statements, not 1,000; a
sender inside ``transaction.atomic()`` neither holds the row back nor loses
it when it rolls back; and an unavailable database costs the sender nothing
(the failure is logged with the task ids).

    recorder.add(model, alias, values, extension)  # from the sending thread
    recorder.flush(timeout=5)  # store every row queued so far now, and wait until it is
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from django.db import connections, models
from django.db.utils import InterfaceError, OperationalError

from . import refusals

if TYPE_CHECKING:
    from .managers import TaskResultManager

logger = logging.getLogger(__name__)

# Seconds the writer waits after the first queued row, and again while more
# keep coming (a group, a loop of delay() calls), so that they share statements;
# at most MAX_WAIT seconds in all.
LINGER = 0.02
MAX_WAIT = 1.0
# Rows taken from the queue at once.
MAX_BATCH = 5000
# Seconds without rows after which the writer closes its database connections.
IDLE = 2.0

Row = tuple[type[models.Model], str, dict[str, Any], dict[str, Any]]


class SentTaskRecorder:
    """Queue the rows of sent tasks and store them from one background thread."""

    def __init__(
        self, linger: float = LINGER, max_wait: float = MAX_WAIT, max_batch: int = MAX_BATCH
    ) -> None:
        self.linger = linger
        self.max_wait = max_wait
        self.max_batch = max_batch
        self._rows: deque[Row] = deque()
        self._condition = threading.Condition()
        self._unstored = 0  # queued, or taken and not yet stored
        self._thread: threading.Thread | None = None
        # Set while a flush() waits: the writer stores what is queued without lingering.
        self._flushing = threading.Event()

    def add(
        self,
        model: type[models.Model],
        alias: str,
        values: Mapping[str, Any],
        extension: Mapping[str, Any],
    ) -> None:
        """Queue one sent task's row (``values``) and the callback's values for it."""
        with self._condition:
            self._rows.append((model, alias, dict(values), dict(extension)))
            self._unstored += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="celery-results-sent", daemon=True
                )
                self._thread.start()
            self._condition.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Store every row queued so far now (no lingering for more), and wait until it is stored
        (or given up); return False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while self._unstored:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._flushing.set()
                self._condition.wait(remaining)
        return True

    def _gather(self) -> None:
        """Wait while rows keep arriving, up to ``max_wait`` seconds or ``max_batch`` rows, or
        until a flush asks for what is queued."""
        deadline = time.monotonic() + self.max_wait
        queued = -1
        while len(self._rows) != queued and len(self._rows) < self.max_batch:
            queued = len(self._rows)
            pause = min(self.linger, deadline - time.monotonic())
            if pause <= 0 or self._flushing.wait(pause):
                return

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._rows:
                    if not self._condition.wait(IDLE) and not self._rows:
                        _close_connections()
            self._gather()
            with self._condition:
                batch = [self._rows.popleft() for _ in range(min(len(self._rows), self.max_batch))]
                self._flushing.clear()  # a flush still waiting sets it again
            try:
                store_batch(batch)
            finally:
                with self._condition:
                    self._unstored -= len(batch)
                    self._condition.notify_all()


def _close_connections() -> None:
    """Close this thread's database connections: none is held open while the writer idles."""
    try:
        connections.close_all()
    except Exception as exc:  # a connection that broke meanwhile is closed anyway
        logger.warning("Closing the sent-task writer's database connections: %r", exc)


def store_batch(batch: list[Row]) -> None:
    """Store rows queued together: one call to the manager per model, database and column set."""
    groups: dict[tuple[Any, ...], list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for model, alias, values, extension in batch:
        key = (model, alias, tuple(values), tuple(extension))
        groups.setdefault(key, []).append((values, extension))
    for (model, alias, _columns, _extended), rows in groups.items():
        _store_rows(model, alias, rows)


def _store_rows(
    model: type[models.Model], alias: str, rows: list[tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    # The same task sent twice in one batch (a retry) keeps its first send.
    unique: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for values, extension in rows:
        unique.setdefault(values["task_id"], (values, extension))
    rows = list(unique.values())
    manager = cast("TaskResultManager", model._default_manager)
    try:
        _with_one_reconnect(alias, manager.store_sent, [{**v, **e} for v, e in rows])
    except refusals.REFUSALS as exc:
        # A value of the callback refused (a tenant that does not exist): row by row.
        logger.warning("Sent tasks stored one by one: the database refused a batch: %s", exc)
        for values, extension in rows:
            _store_one(manager, alias, values, extension)
    except Exception as exc:
        logger.error(
            "Sent tasks not recorded as PENDING (they were sent, and are stored when a "
            "worker stores their state): %r; task ids: %s",
            exc,
            ", ".join(values["task_id"] for values, _extension in rows),
        )


def _store_one(
    manager: TaskResultManager, alias: str, values: dict[str, Any], extension: dict[str, Any]
) -> None:
    """Store one sent task's row; a refused callback value as :mod:`.refusals` has it."""
    try:
        refusals.store_extended(
            lambda row: manager.store_sent([row], using=alias), alias, values, extension
        )
    except Exception as exc:
        logger.error("Sent task %s not recorded as PENDING: %r", values["task_id"], exc)


def _with_one_reconnect(alias: str, store: Any, rows: list[dict[str, Any]]) -> None:
    """Store ``rows`` on ``alias``; after a connection error, once more on a new connection."""
    try:
        store(rows, using=alias)
    except (InterfaceError, OperationalError):
        connections[alias].close()
        store(rows, using=alias)


recorder = SentTaskRecorder()


def _forget_after_fork() -> None:
    """Give a forked child (a worker's pool process) a recorder and thread of its own."""
    global recorder
    recorder = SentTaskRecorder(recorder.linger, recorder.max_wait, recorder.max_batch)


def add(
    model: type[models.Model], alias: str, values: Mapping[str, Any], extension: Mapping[str, Any]
) -> None:
    """Queue a sent task's row on this process's recorder."""
    recorder.add(model, alias, values, extension)


def flush(timeout: float | None = None) -> bool:
    """Wait until the tasks sent so far by this process are stored; False on timeout."""
    return recorder.flush(timeout)


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(flush, 5.0)
