"""What a bulk action would do to the rows a filter selects: how many, which skipped, and why.

The preview and the run ask the same question of each row (``refusal``),
so the numbers a user confirms are the rule the run applies; and the run
goes no further than the last row the preview counted (``within``), so rows
stored since (a retried task's own new failure among them) are left alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from celery import states
from django.db import models
from django.db.models import Count, Max

from ..control import Unretryable, retry_arguments

__all__ = ["ACTIONS", "FirstRows", "Preview", "keyset_batches", "preview", "refusal", "within"]

ACTIONS = ("retry", "revoke", "delete")
# Reads the first ``count`` rows of a selection as ``arrange`` orders and bounds them, where the
# selection's filters have a way of their own (a search's two steps); None: the queryset's own.
FirstRows = Callable[[Callable[[models.QuerySet], models.QuerySet], int], list[Any]]
# The columns a bulk action reads of each row.
COLUMNS = ("pk", "task_id", "task_name", "status", "task_args", "task_kwargs", "content_type")


@dataclass
class Preview:
    """How many rows a filter selects, and how many of them an action would skip, by reason."""

    action: str
    matched: int
    skipped: Counter[str] = field(default_factory=Counter)
    # The greatest primary key among the matched rows (None: none matched).
    last_pk: Any = None

    @property
    def acting_on(self) -> int:
        return self.matched - sum(self.skipped.values())


def refusal(action: str, task: Any) -> str | None:
    """Return why ``action`` would leave ``task`` alone (a reason code), or None."""
    if action == "retry":
        try:
            retry_arguments(task)
        except Unretryable as exc:
            return exc.code
    elif action == "revoke" and task.status in states.READY_STATES:
        return "finished"
    return None


def keyset_batches(
    queryset: models.QuerySet,
    size: int,
    after: Any = None,
    fields: tuple[str, ...] = (),
    first: FirstRows | None = None,
) -> Iterator[list[Any]]:
    """Yield the rows of ``queryset`` in primary-key order, ``size`` at a time, after ``after``.

    Model instances with the columns a retry reads; with ``fields``, tuples
    of the primary key and those fields (a delete or a revoke reads no more).
    ``first`` reads each batch instead of ``queryset`` (see ``FirstRows``).
    """

    def arrange(rows: models.QuerySet) -> models.QuerySet:
        if after is not None:
            rows = rows.filter(pk__gt=after)
        if fields:
            return rows.order_by("pk").values_list(*dict.fromkeys(("pk", *fields)))
        return rows.select_related(None).only(*COLUMNS[1:]).order_by("pk")

    while True:
        batch = first(arrange, size) if first is not None else list(arrange(queryset)[:size])
        if not batch:
            return
        yield batch
        after = batch[-1][0] if fields else batch[-1].pk


def preview(
    action: str, queryset: models.QuerySet, batch_size: int, first: FirstRows | None = None
) -> Preview:
    """Return what ``action`` would do to the rows of ``queryset``.

    A delete and a revoke are counted by the database; a retry reads each
    row (in batches, through ``first`` if given), whose stored arguments
    only Python can judge.
    """
    if action != "retry":
        counted = queryset.aggregate(matched=Count("pk"), last_pk=Max("pk"))
        result = Preview(action, matched=counted["matched"], last_pk=counted["last_pk"])
        if action == "revoke":
            result.skipped["finished"] = queryset.filter(status__in=states.READY_STATES).count()
        return result
    result = Preview(action, matched=0)
    for batch in keyset_batches(queryset, batch_size, first=first):
        result.matched += len(batch)
        result.last_pk = batch[-1].pk
        result.skipped.update(
            reason for task in batch if (reason := refusal(action, task)) is not None
        )
    return result


def within(queryset: models.QuerySet, last_pk: Any) -> models.QuerySet:
    """Return the rows of ``queryset`` up to ``last_pk``, the last one a preview counted.

    A run bounded so never reaches rows stored after its preview: without it,
    a bulk retry of failures would retry again each retried task that failed
    again while the run went on, and a delete would take rows nobody saw.
    """
    if last_pk is None:
        return queryset.none()
    return queryset.filter(pk__lte=last_pk)
