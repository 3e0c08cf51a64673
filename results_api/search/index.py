"""Fill the search side table out of band, like the stats rollup: ``index_search_text(model)``.

Each run reads the rows whose ``date_done`` lies between the state's
``indexed_until`` and ``now - SEARCH_INDEX_LAG``, in ``(date_done, pk)``
order and batches, builds their masked text (:mod:`results_api.search.text`),
upserts it, and moves ``indexed_until`` on to the last batch's ``date_done``
in the same transaction. A row that changes later gets a later
``date_done``, so it is past ``indexed_until`` (matched live) until the next
run indexes it again. The first run on an existing table is the backfill;
it only reads the task table, so workers keep writing meanwhile.

The lag: a write whose transaction commits more than ``SEARCH_INDEX_LAG``
seconds after its ``date_done`` was taken (or a worker clock that far
behind) can be passed over; ``--rebuild`` indexes everything again.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.db import connections, models, router, transaction
from django.utils import timezone

from django_celery_results.models.abstract import AbstractTaskResult

from ..conf import api_settings
from .models import TaskSearchState, TaskSearchText
from .text import COLUMNS, fingerprint, searchable_text

__all__ = ["index_search_text", "indexable", "rebuild_search_text"]

BATCH_SIZE = 2_000


def indexable(model: type[models.Model]) -> bool:
    """Return whether ``model``'s rows can be keyed in the side table (an integer primary key)."""
    return isinstance(model._meta.pk, (models.IntegerField, models.AutoField))


def model_key(model: type[models.Model]) -> str:
    return model._meta.label_lower


def index_search_text(
    model: type[AbstractTaskResult],
    *,
    until: datetime.datetime | None = None,
    using: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, datetime.datetime | None], None] | None = None,
) -> datetime.datetime | None:
    """Index ``model``'s rows changed before ``until``; return how far the index reaches.

    ``until`` defaults to ``now - SEARCH_INDEX_LAG``; ``using`` to the
    database the router picks for writes of ``model``. ``progress(rows,
    indexed_until)`` is called after each batch. Safe to run from several
    processes at once: each batch holds the state row locked.
    """
    if not indexable(model):
        return None
    using = using or router.db_for_write(model)
    if until is None:
        until = timezone.now() - datetime.timedelta(seconds=api_settings.SEARCH_INDEX_LAG)
    done = 0
    after_pk = None
    while True:
        with transaction.atomic(using=using):
            state = _locked_state(model, using)
            start = state.indexed_until
            rows = model._default_manager.using(using).filter(date_done__lt=until)
            if start is not None:
                rows = rows.filter(date_done__gte=start)
                if after_pk is not None:
                    rows = rows.exclude(date_done=start, pk__lte=after_pk)
            batch = list(
                rows.order_by("date_done", "pk").values_list("pk", "date_done", *COLUMNS)[
                    :batch_size
                ]
            )
            if not batch:
                if start is None or start < until:
                    state.indexed_until = until
                    state.save(using=using, update_fields=["indexed_until"])
                return state.indexed_until
            texts = [
                TaskSearchText(task_pk=row[0], text=searchable_text(model, row[2:]))
                for row in batch
            ]
            # MySQL and MariaDB upsert on any unique key and take no target.
            target = connections[using].features.supports_update_conflicts_with_target
            TaskSearchText.objects.using(using).bulk_create(
                texts,
                update_conflicts=True,
                unique_fields=["task_pk"] if target else None,
                update_fields=["text"],
            )
            last_done, after_pk = batch[-1][1], batch[-1][0]
            if start is None or last_done > start:
                state.indexed_until = last_done
                state.save(using=using, update_fields=["indexed_until"])
        done += len(batch)
        if progress is not None:
            progress(done, state.indexed_until)


def rebuild_search_text(model: type[AbstractTaskResult], *, using: str | None = None) -> None:
    """Forget the side table, so that the next run indexes every row again."""
    using = using or router.db_for_write(model)
    with transaction.atomic(using=using):
        TaskSearchText.objects.using(using).all().delete()
        TaskSearchState.objects.using(using).all().delete()


def _locked_state(model: type[AbstractTaskResult], using: str) -> TaskSearchState:
    """Return ``model``'s state row, locked until the transaction ends; reset it if stale.

    Stale: built for another model (the table holds one model's rows) or with
    other rules (masking, fields shown): the table is emptied, and every row
    is matched live until indexed again.
    """
    key = model_key(model)
    current = fingerprint(model)
    manager = TaskSearchState.objects.using(using)
    # A write first: on SQLite it takes the write lock before any read (see rollups).
    if not manager.filter(model=key).update(model=key):
        if manager.exclude(model=key).exists():
            TaskSearchText.objects.using(using).all().delete()
            manager.exclude(model=key).delete()
        manager.get_or_create(model=key, defaults={"fingerprint": current})
    state = manager.select_for_update().get(model=key)
    if state.fingerprint != current:
        TaskSearchText.objects.using(using).all().delete()
        state.indexed_until = None
        state.fingerprint = current
        state.save(using=using)
    return state


def current_mark(model: type[AbstractTaskResult], using: str) -> datetime.datetime | None:
    """Return ``indexed_until`` if the side table serves ``model`` with today's rules, else None.

    One plain statement: every search asks it first, and the ORM's query
    building cost more than the database's answer.
    """
    if not indexable(model):
        return None
    connection = connections[using]
    table = connection.ops.quote_name(TaskSearchState._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT indexed_until, fingerprint FROM {table} WHERE model = %s",
            [model_key(model)],
        )
        state = cursor.fetchone()
    if state is None or state[1] != fingerprint(model) or state[0] is None:
        return None
    mark = state[0]
    if settings.USE_TZ and timezone.is_naive(mark):
        # SQLite and MySQL give a plain cursor the time without its zone, as Django stores it.
        mark = timezone.make_aware(mark, connection.timezone)
    return mark
