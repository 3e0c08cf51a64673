"""Carry out a confirmed bulk action: keyset batches, each its own short transaction.

Each batch reads up to ``BULK_BATCH_SIZE`` rows after the run's ``last_pk``
(never an OFFSET, never one statement over every row), acts on those the
action does not refuse, and moves ``last_pk`` on in the transaction that
commits the batch, so that workers storing results wait at most on one
batch's rows, and a run killed half-way resumes after the last whole batch:

* **delete** deletes the batch's rows in that same transaction: each row is
  deleted or untouched.
* **revoke** broadcasts the batch's unfinished task ids, then commits; a run
  resumed after a crash in between broadcasts them again, which workers
  treat as one revoke (Celery keeps a set of revoked ids).
* **retry** first commits a claim of each task with the id of its new task
  (``BulkRetry``), then sends the messages through one producer, marking
  each claim sent as soon as its message is published. A resumed run sends
  only the claims left unsent, under their own ids: a task is retried twice
  only if the process dies in the moment between publishing its message
  and marking its claim. With ``CELERY_RESULTS_TRACK_SENT`` on, each new
  task's PENDING row is stored as it is sent, as for any sent task.

After each batch the run pauses ``BULK_PAUSE_FACTOR`` times as long as the
batch took (the batch's read included), so that the workers storing results
keep most of the database and the machine.

One process runs a run at a time: it holds a lease (``leased_until``)
renewed at every batch; a second confirmation meanwhile is refused, and
one after a dead process's lease has passed resumes the run.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from typing import Any

from celery import states, uuid
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import EncodeError

from ..conf import api_settings
from ..control import get_celery_app, retry_arguments, send_retry
from .models import BulkAction, BulkRetry
from .plan import FirstRows, keyset_batches, refusal

__all__ = ["LEASE", "RunBusy", "acquire", "release", "run_bulk_action"]

logger = logging.getLogger(__name__)

LEASE = datetime.timedelta(seconds=60)


class RunBusy(Exception):
    """Another process is carrying out this run now."""


def release(run: BulkAction) -> None:
    """Give the run's lease back (its request failed): the next confirmation resumes it."""
    BulkAction.objects.filter(pk=run.pk).update(leased_until=None)


def acquire(run: BulkAction) -> None:
    """Take the run's lease, or raise ``RunBusy`` if a live process holds it."""
    now = timezone.now()
    free = models.Q(leased_until__isnull=True) | models.Q(leased_until__lt=now)
    if not BulkAction.objects.filter(free, pk=run.pk).update(leased_until=now + LEASE):
        raise RunBusy()


def run_bulk_action(
    run: BulkAction,
    queryset: models.QuerySet,
    batch_size: int,
    options: dict[str, Any] | None = None,
    after_batch: Callable[[BulkAction], None] | None = None,
    first: FirstRows | None = None,
) -> BulkAction:
    """Act on the rows of ``queryset`` after ``run.last_pk``, batch by batch; return the run.

    The caller holds the lease (``acquire``). ``after_batch(run)`` is called
    once each batch is committed (progress). ``first`` reads the batches
    where the filters have a way of their own (``FirstRows``).
    """
    act, fields = ACTS[run.action]
    pause = api_settings.BULK_PAUSE_FACTOR
    started = time.monotonic()
    batches = keyset_batches(queryset, batch_size, after=run.last_pk, fields=fields, first=first)
    for batch in batches:
        acted = act(run, queryset.model, batch, options or {}, batch_size)
        logger.info("bulk %s %s: %s more rows (%s so far)", run.action, run.pk, acted, run.acted)
        if after_batch is not None:
            after_batch(run)
        if pause:
            time.sleep((time.monotonic() - started) * pause)
        started = time.monotonic()
    BulkAction.objects.filter(pk=run.pk).update(
        state=BulkAction.DONE, finished=timezone.now(), leased_until=None
    )
    run.refresh_from_db()
    return run


def _commit_batch(run: BulkAction, acted: int, last_pk: Any, skipped: dict[str, int]) -> None:
    """Record a batch in ``run`` (inside the caller's transaction): counts, ``last_pk``, lease."""
    merged = dict(run.skipped)
    for reason, count in skipped.items():
        merged[reason] = merged.get(reason, 0) + count
    BulkAction.objects.filter(pk=run.pk).update(
        acted=F("acted") + acted,
        last_pk=last_pk,
        skipped=merged,
        leased_until=timezone.now() + LEASE,
    )
    run.acted += acted
    run.last_pk = last_pk
    run.skipped = merged


def _delete(
    run: BulkAction, model: type[models.Model], rows: list[Any], options: dict[str, Any], size: int
) -> int:
    """Delete a batch (primary keys only) and record it, in one transaction."""
    keys = [row[0] for row in rows]
    with transaction.atomic(using=model._default_manager.db):
        model._base_manager.filter(pk__in=keys).delete()
        _commit_batch(run, len(keys), keys[-1], {})
    return len(keys)


def _revoke(
    run: BulkAction, model: type[models.Model], rows: list[Any], options: dict[str, Any], size: int
) -> int:
    """Broadcast the revoke of a batch's unfinished tasks, then record the batch."""
    unfinished = [task_id for _pk, task_id, status in rows if status not in states.READY_STATES]
    if unfinished:
        get_celery_app().control.revoke(unfinished, terminate=bool(options.get("terminate")))
    skipped = {"finished": len(rows) - len(unfinished)}
    with transaction.atomic(using=model._default_manager.db):
        _commit_batch(run, len(unfinished), rows[-1][0], skipped)
    return len(unfinished)


def _retry(
    run: BulkAction, model: type[models.Model], rows: list[Any], options: dict[str, Any], size: int
) -> int:
    """Claim a batch's retryable tasks with new ids, send them one by one, record the batch."""
    using = model._default_manager.db
    by_pk: dict[Any, Any] = {}
    skipped: dict[str, int] = {}
    for task in rows:
        reason = refusal("retry", task)
        if reason is None:
            by_pk[task.pk] = task
        else:
            skipped[reason] = skipped.get(reason, 0) + 1
    with transaction.atomic(using=using):
        BulkRetry.objects.bulk_create(
            [BulkRetry(run=run, task_pk=pk, new_task_id=uuid()) for pk in by_pk],
            ignore_conflicts=True,
        )
    claims = BulkRetry.objects.filter(run=run, task_pk__in=list(by_pk), sent=False)
    app = get_celery_app()
    unsendable = []
    with app.producer_or_acquire() as producer:
        for claim in claims:
            task = by_pk[claim.task_pk]
            try:
                send_retry(app, task, retry_arguments(task), claim.new_task_id, producer)
            except EncodeError:  # arguments the broker's serializer refuses: this task only
                unsendable.append(claim.pk)
                continue
            # Marked at once: a crash later in the batch must not send this one again.
            BulkRetry.objects.filter(pk=claim.pk).update(sent=True)
    if unsendable:
        skipped["arguments_unusable"] = skipped.get("arguments_unusable", 0) + len(unsendable)
    with transaction.atomic(using=using):
        BulkRetry.objects.filter(pk__in=unsendable).delete()
        _commit_batch(run, len(by_pk) - len(unsendable), rows[-1].pk, skipped)
    return len(by_pk) - len(unsendable)


# Each action, and the fields its batches read (none: model instances, for a retry).
ACTS: dict[str, tuple[Callable[..., int], tuple[str, ...]]] = {
    "delete": (_delete, ("pk",)),
    "revoke": (_revoke, ("task_id", "status")),
    "retry": (_retry, ()),
}
