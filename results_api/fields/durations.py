"""The task's durations (runtime, waiting time): one rule each, as SQL and as a Python value.

    RUNTIME.expression()     # a DurationField expression: the stats, rollups, metrics
    RUNTIME.seconds(task)    # 0.42, or None: the serializer's ``runtime``

A duration runs from one date of the row to another. Both forms come from
the same description, so the list, the stats and the rollups never
disagree on which tasks have a runtime or a waiting time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from celery import states
from django.db import models
from django.db.models import Case, F, Value, When

FINISHED = tuple(sorted(states.READY_STATES))


@dataclass(frozen=True)
class Duration:
    """From the date ``start`` to the date ``end`` of a row, where the rule gives the row one."""

    name: str
    start: str
    end: str
    finished_only: bool = False
    strictly_after: bool = False

    def expression(self) -> Case:
        """Return the duration as a ``DurationField`` expression, NULL where it has none."""
        conditions: dict[str, Any] = {}
        if self.finished_only:
            conditions["status__in"] = FINISHED
        if self.strictly_after:
            conditions[f"{self.end}__gt"] = F(self.start)
        else:
            conditions[f"{self.start}__isnull"] = False
        return Case(
            When(**conditions, then=F(self.end) - F(self.start)),
            default=Value(None),
            output_field=models.DurationField(),
        )

    def seconds(self, task: Any) -> float | None:
        """Return the duration of ``task`` (a row) in seconds, or ``None`` where it has none."""
        if self.finished_only and task.status not in FINISHED:
            return None
        start, end = getattr(task, self.start), getattr(task, self.end)
        if start is None or end is None or (self.strictly_after and end <= start):
            return None
        return float((end - start).total_seconds())


RUNTIME = Duration("runtime", "date_started", "date_done", finished_only=True)
"""``date_done`` moves with every state, so only a finished task has a runtime."""

WAIT = Duration("wait", "date_created", "date_started", strictly_after=True)
"""Equal dates mean the row was first written by its STARTED state: no send time known."""

DURATIONS = (RUNTIME, WAIT)
DURATION_NAMES = tuple(duration.name for duration in DURATIONS)

PERCENTILES = {"p50": 0.5, "p95": 0.95}
"""The percentiles of each duration that the stats report (``runtime_p50``, ...)."""

FIGURES = ("avg", "max", *PERCENTILES)
"""The figures of each duration that the stats report, in their order."""


def figure_names(duration: Duration) -> tuple[str, ...]:
    """Return the stats' names of the figures of ``duration``: ``runtime_avg``, ..."""
    return tuple(f"{duration.name}_{figure}" for figure in FIGURES)
