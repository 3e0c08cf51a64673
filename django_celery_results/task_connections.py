"""Database connections at task boundaries, handled as Django handles them at request boundaries.

Celery's Django fixup closes every database connection before and after each
task (unless ``CELERY_DB_REUSE_MAX`` is set), so a worker opens a new
connection for every task whatever ``CONN_MAX_AGE`` says. In every worker of
an app with that fixup, this module replaces that step with Django's own rule
for the end of a request: a connection is closed only if it is unusable, left
in a transaction, or older than ``CONN_MAX_AGE``, and with
``CONN_HEALTH_CHECKS`` it is checked before its first use in the next task.
It applies to every connection the task used, the task's own ORM work
included. docs/workers.md tells why and how to turn it off.

Django's health check is a ``SELECT 1`` round trip per request. Between two
tasks of a busy worker, a PostgreSQL connection is checked without one: a
session the server ended (a restart, ``pg_terminate_backend``, an idle
timeout) has sent its goodbye or closed its socket, which then polls
readable; only then does Django's ping run.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): Django: ``BaseDatabaseWrapper.in_atomic_block``,
``closed_in_transaction``, ``needs_rollback``, ``savepoint_ids``,
``atomic_blocks``, ``health_check_enabled`` and ``health_check_done``.
psycopg: ``Connection.info.transaction_status`` read through Django's
``connection.connection``.
"""

from __future__ import annotations

import logging
import select
from typing import Any

from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from .conf import CLOSE_CONNECTIONS_AFTER_EACH_TASK, get_setting

logger = logging.getLogger(__name__)

# The driver's "no transaction in progress" status: psycopg's pq.TransactionStatus.IDLE
# and psycopg2's TRANSACTION_STATUS_IDLE are both 0.
_IDLE = 0


def close_unusable_or_obsolete_connections(**kwargs: Any) -> None:
    """Close the connections of this thread that the next task must not reuse.

    Django's ``close_old_connections`` (a connection with errors that fails
    a ping, one whose autocommit was changed, one older than ``CONN_MAX_AGE``),
    plus one left inside a transaction, which would otherwise hold its locks
    and swallow the next task's writes until it ends.
    """
    for connection in connections.all(initialized_only=True):
        if connection.connection is None:
            continue
        if left_in_transaction(connection):
            logger.warning(
                "Database connection %r was left inside a transaction by a task: closed,"
                " its uncommitted work rolled back",
                connection.alias,
            )
            _close_discarding_transaction(connection)
            continue
        connection.close_if_unusable_or_obsolete()
        checked: Any = connection  # health_check_* (Django 4.1+) are not in the type stubs
        if (
            connection.connection is not None
            and checked.health_check_enabled
            and not checked.health_check_done
            and connection.vendor == "postgresql"
            and server_sent_nothing(connection)
        ):
            # Nothing arrived since the last statement: the session is open, no ping needed.
            checked.health_check_done = True


def left_in_transaction(connection: BaseDatabaseWrapper) -> bool:
    """Whether ``connection`` is inside a transaction that no code is going to end.

    Between two tasks no ``atomic`` block can legitimately be open; with
    ``AUTOCOMMIT`` on, the server must be idle too (a raw ``BEGIN`` leaves it
    in a transaction that Django does not know of).
    """
    if connection.in_atomic_block:
        return True
    if not connection.settings_dict["AUTOCOMMIT"] or not connection.get_autocommit():
        return False  # Django's own rule closes a connection whose autocommit was changed
    raw = connection.connection
    status = getattr(getattr(raw, "info", None), "transaction_status", None)
    if status is not None:  # psycopg, psycopg2
        return status != _IDLE
    if connection.vendor == "mysql":  # the driver does not say; MariaDB 10.3+ does
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT @@in_transaction")
                return bool(cursor.fetchone()[0])
        except DatabaseError:  # MySQL has no such variable
            return False
    return bool(getattr(raw, "in_transaction", False))  # sqlite3


def server_sent_nothing(connection: BaseDatabaseWrapper) -> bool:
    """Whether the driver connection's socket has nothing to read, checked without waiting.

    Between statements the server sends nothing unless it ends the session
    (an error message, then end-of-file) or notifies; either way the socket
    polls readable, and the caller lets Django's ping decide.
    """
    try:
        descriptor = connection.connection.fileno()
        poller = select.poll()
    except (AttributeError, OSError, ValueError):  # no socket, or no poll() here
        return False
    poller.register(descriptor, select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


def _close_discarding_transaction(connection: BaseDatabaseWrapper) -> None:
    """Close ``connection``, rolling its transaction back, and forget any open atomic block.

    Django's ``close()`` inside an atomic block keeps the closed connection
    until the block exits, which it never will here; the next use would fail.
    """
    try:
        connection.close()
    finally:
        connection.in_atomic_block = False
        connection.closed_in_transaction = False
        connection.needs_rollback = False
        connection.savepoint_ids = []
        connection.atomic_blocks = []
        connection.connection = None


def install_in_worker(sender: Any = None, **kwargs: Any) -> None:
    """Give the Django fixup of the starting worker's app Django's request-boundary rule.

    A receiver of Celery's ``worker_init``. It leaves the fixup alone when
    ``CELERY_DB_REUSE_MAX`` is set (Celery's own reuse policy, chosen
    explicitly) or ``CELERY_RESULTS_CLOSE_CONNECTIONS_AFTER_EACH_TASK`` is true.
    """
    if get_setting(CLOSE_CONNECTIONS_AFTER_EACH_TASK):
        return
    from celery.fixups.django import DjangoFixup

    app = getattr(sender, "app", None)
    for fixup in getattr(app, "_fixups", None) or ():
        if not isinstance(fixup, DjangoFixup):
            continue
        worker_fixup = fixup.worker_fixup
        if worker_fixup.db_reuse_max:
            continue
        # The fixup calls ``self.close_database()`` before and after each task;
        # after a fork it still closes every inherited connection itself.
        worker_fixup.close_database = close_unusable_or_obsolete_connections
