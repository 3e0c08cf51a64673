"""The tasks of one group, a page at a time in the group's order, and their count per state.

    page = member_page(task_queryset, ids, after=0, size=50)   # ids: group_children(group)

A group's task ids are stored in its row, in order (Celery's result
tuple): a page is a slice of them, read from the task table by a bounded
``task_id IN (...)`` of at most one page, so that a group of any size
loads without ever putting its ids in a URL. The counts per state are
read in chunks of the same bound.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Count
from rest_framework import serializers

from ..conf import api_settings

# The most task ids in one IN list: far below every database's limit on parameters.
CHUNK = 1000


@dataclass
class MemberPage:
    """One page of a group's tasks: the rows by id (``None``: not stored or not visible)."""

    ids: Sequence[str]
    rows: dict[str, Any]
    after: int  # the position of the page's first task in the group
    total: int
    states: dict[str, int]

    @property
    def next_after(self) -> int | None:
        end = self.after + len(self.ids)
        return end if end < self.total else None

    @property
    def missing(self) -> list[str]:
        """Return the page's task ids with no row the caller may see."""
        return [task_id for task_id in self.ids if task_id not in self.rows]


def member_page(
    queryset: models.QuerySet, ids: Sequence[str], *, after: int, size: int
) -> MemberPage:
    """Return ``size`` tasks from position ``after`` of ``ids``, their rows from ``queryset``."""
    page = ids[after : after + size]
    rows = {row.task_id: row for row in queryset.filter(task_id__in=set(page))}
    return MemberPage(
        ids=page, rows=rows, after=after, total=len(ids), states=count_states(queryset, ids)
    )


def count_states(queryset: models.QuerySet, ids: Sequence[str]) -> dict[str, int]:
    """Return how many of ``ids`` have a row in ``queryset`` in each state."""
    counts: Counter[str] = Counter()
    unique = sorted(set(ids))
    for first in range(0, len(unique), CHUNK):
        chunk = unique[first : first + CHUNK]
        grouped = (
            queryset.filter(task_id__in=chunk)
            .order_by()
            .values("status")
            .annotate(members=Count("pk"))
            .values_list("status", "members")
        )
        counts.update(dict(grouped))
    return dict(sorted(counts.items()))


class MembersQuery(serializers.Serializer):
    """The query parameters of ``groups/<group_id>/tasks/``: where the page starts, its size."""

    # The position in the group of the page's first task.
    after = serializers.IntegerField(min_value=0, default=0)
    # Tasks per page, at most MAX_PAGE_SIZE.
    page_size = serializers.IntegerField(min_value=1, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["page_size"].validators.append(MaxValueValidator(api_settings.MAX_PAGE_SIZE))
