"""Keep the stats rollup of a task result model: fold closed time windows into it.

    roll_up(get_task_result_model())      # what the periodic task and the command run

Out of band, so the write path keeps its one statement per stored state:
each run takes the results whose ``date_done`` lies between the rollup's
``rolled_until`` and ``now - ROLLUP_LAG``, adds the final ones (SUCCESS,
FAILURE, REVOKED: they no longer change) to the hour and day rows of their
status (and of every final status together) and of each dimension's
value, and moves ``rolled_until`` on, one window per transaction. The first
run on an existing table is the backfill, a day at a time; it only reads,
so workers keep writing meanwhile.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from celery import states
from django.db import models, router, transaction
from django.utils import timezone

from django_celery_results.columns import concrete_field
from django_celery_results.models.abstract import AbstractTaskResult

from ..conf import api_settings
from ..fields.catalogue import ROLLED_UP
from ..fields.durations import DURATION_NAMES, DURATIONS, PERCENTILES
from ..fields.rules import FieldKind, field_rules
from ..models import RollupState, TaskResultRollup, value_key
from . import histogram, task_counts
from .task_counts import QUARTER_SECONDS

DIMENSION_KINDS = frozenset({FieldKind.FOREIGN_KEY, FieldKind.CHOICES, FieldKind.BOOLEAN})
FINAL_STATES = frozenset(states.READY_STATES)
# The status of the rows that hold every final status together: what a request that
# neither groups nor filters by status reads, one row a bucket.
ALL_STATUSES = ""
LEVELS = ("hour", "day")
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
STAT_FIELDS = (
    "count",
    "runtime_count",
    "runtime_sum",
    "runtime_max",
    "runtime_histogram",
    "wait_count",
    "wait_sum",
    "wait_max",
    "wait_histogram",
    "failures",
    "first_done",
    "last_done",
)
# The percentiles the stats report are stored with each row: a group that is one row needs
# no histogram read.
PERCENTILE_FIELDS = tuple(
    f"{duration.name}_{suffix}" for duration in DURATIONS for suffix in PERCENTILES
)


def rollup_dimensions(model: type[AbstractTaskResult]) -> tuple[str, ...]:
    """Return the fields the rollup of ``model`` counts by, besides status."""
    configured = api_settings.ROLLUP_DIMENSIONS
    if configured is not None:
        return tuple(configured)
    rules = field_rules(model)
    extra = tuple(field.name for field in rules.extra if field.kind in DIMENSION_KINDS)
    return tuple(name for name in (*ROLLED_UP, *extra) if rules.is_visible(name))


def model_key(model: type[models.Model]) -> str:
    """Return the key of ``model``'s rows in the rollup tables."""
    return model._meta.label_lower


def column_of(model: type[models.Model], name: str) -> str:
    """Return the attribute that holds field ``name``'s value (a foreign key's: its key)."""
    return concrete_field(model, name).attname


def encode(value: Any) -> str:
    """Return a dimension's value as the rollup stores it: JSON text."""
    return json.dumps(value, separators=(",", ":"))


@dataclasses.dataclass
class Aggregate:
    """Count and duration aggregates of a group: mergeable by adding."""

    count: int = 0
    runtime_count: int = 0
    runtime_sum: float = 0.0
    runtime_max: float | None = None
    runtime_histogram: Counter = dataclasses.field(default_factory=Counter)
    wait_count: int = 0
    wait_sum: float = 0.0
    wait_max: float | None = None
    wait_histogram: Counter = dataclasses.field(default_factory=Counter)
    failures: int = 0
    first_done: float | None = None
    last_done: float | None = None

    @classmethod
    def from_counts(cls, counts: task_counts.Counts) -> Aggregate:
        """Return the aggregate of a group the database counted."""
        aggregate = cls(count=counts.count, first_done=counts.first, last_done=counts.last)
        if counts.status == states.FAILURE:
            aggregate.failures = counts.count
        for name in DURATION_NAMES:
            figures = getattr(counts, name)
            if figures.count:
                setattr(aggregate, f"{name}_count", figures.count)
                setattr(aggregate, f"{name}_sum", figures.total)
                setattr(aggregate, f"{name}_max", figures.maximum)
                getattr(aggregate, f"{name}_histogram").update(figures.ordinals)
        return aggregate

    def merge(self, other: Aggregate) -> None:
        """Add ``other``'s results to these."""
        self.count += other.count
        self.failures += other.failures
        self.first_done = _least(self.first_done, other.first_done, min)
        self.last_done = _least(self.last_done, other.last_done, max)
        for name in DURATION_NAMES:
            number = getattr(other, f"{name}_count")
            if not number:
                continue
            setattr(self, f"{name}_count", getattr(self, f"{name}_count") + number)
            setattr(
                self, f"{name}_sum", getattr(self, f"{name}_sum") + getattr(other, f"{name}_sum")
            )
            mine, theirs = getattr(self, f"{name}_max"), getattr(other, f"{name}_max")
            setattr(self, f"{name}_max", theirs if mine is None else max(mine, theirs))
            getattr(self, f"{name}_histogram").update(getattr(other, f"{name}_histogram"))

    @classmethod
    def from_row(cls, row: TaskResultRollup) -> Aggregate:
        """Return the aggregate of a stored row's figures."""
        stored = {name: getattr(row, name) for name in STAT_FIELDS}
        for name in ("runtime_histogram", "wait_histogram"):
            stored[name] = histogram.loads(stored[name])
        return cls(**stored)

    def to_row(self, row: TaskResultRollup) -> TaskResultRollup:
        """Set ``row``'s figures to these, with the percentiles of the histograms."""
        for name in STAT_FIELDS:
            value = getattr(self, name)
            setattr(row, name, histogram.dumps(value) if isinstance(value, Counter) else value)
        for name in DURATION_NAMES:
            counts = getattr(self, f"{name}_histogram")
            figures = histogram.quantiles(counts, PERCENTILES.values())
            for suffix, figure in zip(PERCENTILES, figures, strict=True):
                setattr(row, f"{name}_{suffix}", figure)
        return row


def _least(mine: float | None, theirs: float | None, pick: Any) -> float | None:
    """Return ``pick`` (min or max) of the two, either of which may be unknown."""
    if mine is None or theirs is None:
        return theirs if mine is None else mine
    return pick(mine, theirs)


class Buckets:
    """The hour and day buckets (in the current time zone) of instants, as UTC instants.

    Computed once per quarter of an hour: time zone offsets are whole quarters.
    """

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone()
        self._cache: dict[int, tuple[datetime.datetime, datetime.datetime]] = {}

    def of(self, instant: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
        """Return the starts of the hour and the day ``instant`` falls in."""
        quarter = int(instant.timestamp()) // QUARTER_SECONDS
        found = self._cache.get(quarter)
        if found is None:
            local = instant.astimezone(self.zone).replace(minute=0, second=0, microsecond=0)
            found = self._cache[quarter] = (
                local.astimezone(datetime.timezone.utc),
                local.replace(hour=0).astimezone(datetime.timezone.utc),
            )
        return found

    def hour_start(self, instant: datetime.datetime) -> datetime.datetime:
        return self.of(instant)[0]

    def day_start(self, instant: datetime.datetime) -> datetime.datetime:
        return self.of(instant)[1]

    def next_day(self, day: datetime.datetime) -> datetime.datetime:
        """Return the start of the day after the one starting at ``day`` (23 to 25 hours on)."""
        local = day.astimezone(self.zone) + DAY  # wall-clock arithmetic: the next midnight
        return local.replace(fold=0).astimezone(datetime.timezone.utc)


def roll_up(
    model: type[AbstractTaskResult],
    *,
    until: datetime.datetime | None = None,
    using: str | None = None,
) -> datetime.datetime | None:
    """Fold the closed windows of ``model``'s results into its rollup; return ``rolled_until``.

    ``until`` (default ``now - ROLLUP_LAG``) bounds how far it goes; ``using``
    (default: the database the router picks for writes of ``model``) is
    where the results are read and the rollup kept. Safe to
    run from several processes at once: each window is one transaction that
    holds the model's state row locked.
    """
    # The database the results are written to: a replica may lag more than ROLLUP_LAG.
    using = using or router.db_for_write(model)
    if until is None:
        until = timezone.now() - datetime.timedelta(seconds=api_settings.ROLLUP_LAG)
    step = datetime.timedelta(seconds=api_settings.ROLLUP_STEP)
    buckets = Buckets()
    while True:
        with transaction.atomic(using=using):
            state = _locked_state(model, buckets, using)
            start = state.rolled_until
            if start is None:
                start = _first_window_start(model, buckets, until, using)
            end = _window_end(start, until, step, buckets)
            if end <= start:
                return state.rolled_until
            pending = _fold_window(model, start, end, buckets, using)
            state.rolled_until = end
            known = set(json.loads(state.pending_states))
            state.pending_states = json.dumps(sorted(known | pending))
            state.save(using=using)


def rebuild(model: type[AbstractTaskResult], *, using: str | None = None) -> None:
    """Forget ``model``'s rollup, so that the next run builds it again from the table."""
    with transaction.atomic(using=using):
        key = model_key(model)
        TaskResultRollup.objects.using(using).filter(model=key).delete()
        RollupState.objects.using(using).filter(model=key).delete()


def _locked_state(
    model: type[AbstractTaskResult], buckets: Buckets, using: str | None
) -> RollupState:
    """Return ``model``'s state row, locked until the transaction ends; reset it if stale."""
    key = model_key(model)
    manager = RollupState.objects.using(using)
    dimensions = json.dumps(list(rollup_dimensions(model)))
    time_zone = str(buckets.zone)
    # A write first: on SQLite it takes the database's write lock before any read (a
    # reading transaction that then writes beside a worker's write fails at once, "database
    # is locked"), and SELECT ... FOR UPDATE does nothing there; on PostgreSQL, the row lock.
    if not manager.filter(model=key).update(model=key):
        manager.get_or_create(
            model=key, defaults={"time_zone": time_zone, "dimensions": dimensions}
        )
    state = manager.select_for_update().get(model=key)
    if state.time_zone != time_zone or state.dimensions != dimensions:
        # Buckets of another time zone, or other dimensions: start again from the table.
        TaskResultRollup.objects.using(using).filter(model=key).delete()
        state.rolled_until = None
        state.time_zone, state.dimensions, state.pending_states = time_zone, dimensions, "[]"
    return state


def _first_window_start(
    model: type[AbstractTaskResult], buckets: Buckets, until: datetime.datetime, using: str | None
) -> datetime.datetime:
    oldest = model._default_manager.using(using).aggregate(first=models.Min("date_done"))["first"]
    return buckets.day_start(oldest if oldest is not None else until)


def _window_end(
    start: datetime.datetime,
    until: datetime.datetime,
    step: datetime.timedelta,
    buckets: Buckets,
) -> datetime.datetime:
    """Return the end of the window after ``start``: a day or an hour when far behind, else a step.

    Steps are counted from the hour, so that windows end on the same
    instants whenever the runs happen.
    """
    if start == buckets.day_start(start) and buckets.next_day(start) <= until:
        return buckets.next_day(start)
    if start == buckets.hour_start(start) and start + HOUR <= until:
        return start + HOUR
    hour = buckets.hour_start(until)
    return max(start, hour + int((until - hour) / step) * step)


def _fold_window(
    model: type[AbstractTaskResult],
    start: datetime.datetime,
    end: datetime.datetime,
    buckets: Buckets,
    using: str | None,
) -> set[str]:
    """Add the final results of ``[start, end)`` to the rollup; return the other states seen.

    The database counts them, once by status alone and once more by status
    with each dimension (``results_api/stats/task_counts.py``).
    """
    window = (
        model._default_manager.using(using)
        .filter(date_done__gte=start, date_done__lt=end)
        .order_by()
    )
    final = sorted(FINAL_STATES)
    pending = set(window.exclude(status__in=final).values_list("status", flat=True).distinct())
    hours: defaultdict[tuple, Aggregate] = defaultdict(Aggregate)
    for dimension in ("", *rollup_dimensions(model)):
        column = column_of(model, dimension) if dimension else None
        for counts in task_counts.count(window.filter(status__in=final), column, by_quarter=True):
            assert counts.quarter is not None
            value = encode(counts.value) if dimension else ""
            hour = buckets.hour_start(counts.quarter)
            hours[(dimension, value, hour, counts.status)].merge(Aggregate.from_counts(counts))
    together: defaultdict[tuple, Aggregate] = defaultdict(Aggregate)
    for (dimension, value, hour, _status), aggregate in hours.items():
        together[(dimension, value, hour, ALL_STATUSES)].merge(aggregate)
    found: defaultdict[tuple, Aggregate] = defaultdict(Aggregate)
    for (dimension, value, hour, status), aggregate in (*hours.items(), *together.items()):
        found[(dimension, value, "hour", hour, status)] = aggregate
        found[(dimension, value, "day", buckets.day_start(hour), status)].merge(aggregate)
    _merge_into_table(model_key(model), found, using)
    return pending


def _merge_into_table(key: str, found: dict[tuple, Aggregate], using: str | None) -> None:
    """Add ``found`` to the stored rows with the same keys; create the others."""
    if not found:
        return
    manager = TaskResultRollup.objects.using(using)
    existing: dict[tuple, TaskResultRollup] = {}
    for level in LEVELS:
        touched = {bucket for (_, _, row_level, bucket, _) in found if row_level == level}
        for row in manager.filter(model=key, level=level, bucket__in=touched):
            existing[(row.dimension, row.value, row.level, row.bucket, row.status)] = row
    updated, created = [], []
    for row_key, aggregate in found.items():
        row = existing.get(row_key)
        if row is None:
            dimension, value, level, bucket, status = row_key
            created.append(
                aggregate.to_row(
                    TaskResultRollup(
                        model=key,
                        dimension=dimension,
                        value=value,
                        value_key=value_key(value),
                        level=level,
                        bucket=bucket,
                        status=status,
                    )
                )
            )
        else:
            merged = Aggregate.from_row(row)
            merged.merge(aggregate)
            updated.append(merged.to_row(row))
    if updated:
        # Replaced rather than updated: one DELETE and the INSERT below, where
        # bulk_update would send a CASE per field and row.
        keys = [row.pk for row in updated]
        for first in range(0, len(keys), 500):
            manager.filter(pk__in=keys[first : first + 500]).delete()
        for row in updated:
            row.pk = None
    manager.bulk_create([*created, *updated], batch_size=2000)


def states_read_live(model: type[AbstractTaskResult], using: str | None = None) -> Iterable[str]:
    """Return the non-final states seen before the rollup's head (read from the task table)."""
    state = RollupState.objects.using(using).filter(model=model_key(model)).first()
    return json.loads(state.pending_states) if state else []
