"""One policy for a callback value the database refuses, on the worker's path and the sender's.

The extend-props callback's values are checked against their fields before
they are written (:mod:`django_celery_results.extension`), but some
refusals only the database can make: a foreign key to a row that does not
exist, a value over a limit of the database's own. Then the row is stored
with every value the database accepts, each refused one is dropped and
named, with the task id, in one error; the task's own state is never lost
for them. The worker's states (:mod:`django_celery_results.backends.database`)
and the rows of sent tasks (:mod:`django_celery_results.recorder`) both go
through :func:`store_extended`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.db import DataError, IntegrityError, connections, transaction

logger = logging.getLogger("django_celery_results.extension")

# What a database raises for a value it will not store.
REFUSALS = (IntegrityError, DataError)

Store = Callable[[dict[str, Any]], None]


def store_extended(
    store: Store, alias: str, values: Mapping[str, Any], extension: Mapping[str, Any]
) -> None:
    """Store ``values`` with the callback's ``extension``, or with the part the database accepts.

    ``store`` writes one row (attname -> value) on the database ``alias``.
    Without a refusal this is one call of ``store``; the rest is only
    reached after one. A refusal of the standard values themselves is raised.
    """
    if not extension:
        store(dict(values))
        return
    try:
        with savepoint_if_in_transaction(alias):
            store({**values, **extension})
    except REFUSALS as exc:
        store_what_the_database_accepts(store, alias, values, extension, exc)


def store_what_the_database_accepts(
    store: Store,
    alias: str,
    values: Mapping[str, Any],
    extension: Mapping[str, Any],
    error: Exception,
) -> None:
    """Store a row whose extended values the database refused (``error``), with those it accepts.

    Each extended value is tried in turn (a foreign key to a missing row,
    say, is refused alone); the refused ones are logged by name, value and
    the database's reason.
    """
    accepted: dict[str, Any] = {}
    refused: dict[str, Exception] = {}
    if len(extension) == 1:
        refused = dict.fromkeys(extension, error)
    else:
        for name, value in extension.items():
            try:
                with savepoint_if_in_transaction(alias):
                    store({**values, **accepted, name: value})
            except REFUSALS as exc:
                refused[name] = exc
            else:
                accepted[name] = value
    if not accepted:
        store(dict(values))
    logger.error(
        "Task %s stored without part of its extended properties: the database refused %s",
        values["task_id"],
        "; ".join(
            f"{name} = {extension[name]!r} ({str(exc).strip()})" for name, exc in refused.items()
        ),
    )


def savepoint_if_in_transaction(alias: str) -> contextlib.AbstractContextManager[Any]:
    """Return a savepoint inside a transaction, so that a refused write can be retried."""
    if connections[alias].in_atomic_block:
        return transaction.atomic(using=alias)
    return contextlib.nullcontext()
