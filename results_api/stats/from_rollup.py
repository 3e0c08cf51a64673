"""``tasks/stats/`` answered from the rollup: closed buckets from it, the open tail from the tasks.

    rows = stats_from_rollup(queryset, ["status"], "hour")   # None: ask the task table

A request is answered here when its filters (the scope hook's included)
are equalities or ``__in`` on status and at most one rollup dimension, and
ranges of ``date_done``; it groups by status and that dimension; its
interval is an hour, a day or none. The rollup holds the final results up
to its ``rolled_until``, by whole hours and days; the results it does not
hold (later ones, those in states that still change, and the part of the
date range that is not whole hours) are read from the task table with the
same filters and added, so counts and averages are exact. Percentiles come
from the merged histograms (``results_api/stats/histogram.py``).

The filters are read from the query tree by
:mod:`results_api.fields.conditions`. Private parts relied on here
(``scripts/prerelease`` tests them against the next releases): Django:
``Query.get_compiler()``, to compile the bucket expression.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from celery import states
from django.db import models
from django.db.models import F, Value
from django.db.models.expressions import RawSQL
from django.db.models.lookups import (
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
)

from django_celery_results.setting_caches import forget_when_changed

from ..conf import SETTING_NAME, api_settings
from ..fields.conditions import read_conditions
from ..fields.durations import DURATION_NAMES, RUNTIME, WAIT, figure_names
from ..models import RollupState, TaskResultRollup, value_key
from . import bins, histogram, task_counts
from .rollups import (
    ALL_STATUSES,
    PERCENTILE_FIELDS,
    PERCENTILES,
    STAT_FIELDS,
    Buckets,
    column_of,
    encode,
    model_key,
    rollup_dimensions,
)
from .task_counts import EPOCH

MICROSECOND = datetime.timedelta(microseconds=1)


class Measure:
    """One duration's figures in a group: exact count, sum and maximum, and its histograms.

    The histograms stay as stored (text) until the percentiles need them,
    and are never merged bin by bin: see ``histogram.merged_quantiles``;
    a group of one stored row takes the percentiles stored with it.
    """

    __slots__ = ("count", "live", "maximum", "quantiles", "stored", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.maximum: float | None = None
        # Stored histograms: one row's text, or a list of several (most groups are one row).
        self.stored: str | list[str] = ""
        self.quantiles: tuple = ()  # those stored with the row, when it is one
        self.live: list[int] | tuple = ()  # the bins of the results read from the task table

    def add(
        self,
        count: int,
        total: float,
        maximum: float | None,
        stored: str = "",
        quantiles: tuple = (),
    ) -> None:
        """Add ``count`` durations of sum ``total`` and largest ``maximum`` (stored bins)."""
        if not count:
            return
        self.count += count
        self.total += total
        if self.maximum is None or (maximum is not None and maximum > self.maximum):
            self.maximum = maximum
        if not stored:
            return
        if not self.stored:
            self.stored, self.quantiles = stored, quantiles
        elif isinstance(self.stored, str):
            self.stored = [self.stored, stored]
        else:
            self.stored.append(stored)

    def figures(self) -> list[float | None]:
        """Return the average, maximum and ``PERCENTILES`` of the durations (``None``: none)."""
        if not self.count:
            return [None] * (2 + len(PERCENTILES))
        stored = self.stored
        if isinstance(stored, str):
            if stored and not self.live and None not in self.quantiles:
                return [self.total / self.count, self.maximum, *self.quantiles]
            stored = [stored] if stored else []
        parts = [histogram.decode(text) for text in stored]
        if self.live:
            parts.append(histogram.part_of(Counter(self.live)))
        quantiles = histogram.merged_quantiles(parts, PERCENTILES.values())
        return [self.total / self.count, self.maximum, *quantiles]


class Group:
    """The count and durations of one group (and bucket) of a stats answer."""

    __slots__ = ("count", "failures", "first", "last", *DURATION_NAMES)

    def __init__(self) -> None:
        self.count = 0
        self.runtime = Measure()
        self.wait = Measure()
        self.failures = 0
        self.first: float | None = None  # the earliest date_done, seconds since the epoch
        self.last: float | None = None

    def seen(self, failures: int, first: float | None, last: float | None) -> None:
        """Add ``failures`` and widen the first and last date_done to ``first`` and ``last``."""
        self.failures += failures
        if first is not None and (self.first is None or first < self.first):
            self.first = first
        if last is not None and (self.last is None or last > self.last):
            self.last = last


@dataclass
class Plan:
    """What a request's filters ask of the rollup."""

    dimension: str | None = None
    values: set[str] | None = None  # encoded; None: any
    statuses: set[str] | None = None  # None: any
    start: datetime.datetime | None = None  # the first date_done that may count
    end: datetime.datetime | None = None  # date_done must be before this
    fields: set[str] = field(default_factory=set)


def stats_from_rollup(
    queryset: models.QuerySet, group_by: list[str], interval: str | None
) -> list[dict[str, Any]] | None:
    """Return the stats rows of ``queryset`` from the rollup, or ``None`` if it cannot answer."""
    if not api_settings.STATS_FROM_ROLLUPS or interval not in (None, "hour", "day"):
        return None
    model = queryset.model
    dimensions = rollup_dimensions(model)
    plan = read_plan(queryset, dimensions)
    if plan is None:
        return None
    grouped = [name for name in group_by if name != "status"]
    if len(grouped) > 1 or (grouped and plan.dimension not in (None, grouped[0])):
        return None
    if grouped and grouped[0] not in dimensions:
        return None
    if grouped:
        plan.dimension = grouped[0]
    buckets = Buckets()
    for attempt in range(3):
        state, kept = _state(queryset.db, model_key(model), fresh=attempt > 0)
        if (
            state is None
            or state.rolled_until is None
            or state.time_zone != str(buckets.zone)
            or state.dimensions != json.dumps(list(dimensions))
        ):
            if kept:
                continue  # a state kept from before: read the database's
            return None
        try:
            return _answer(queryset, plan, group_by, interval, state, buckets)
        except HeadMoved:
            continue  # a run committed since the state was read: read its new head
    return None


# The state last read per database and model. A request starts from it and reads the
# rollup rows only if the database still holds it as it is (checked in the same statement),
# so it saves a query per request without ever answering from another head.
_STATES: dict[tuple[str, str], RollupState] = {}
forget_when_changed(_STATES.clear, settings=(SETTING_NAME, "TIME_ZONE", "USE_TZ"))


def _state(using: str, key: str, *, fresh: bool) -> tuple[RollupState | None, bool]:
    """Return the rollup state of model ``key`` and whether it is the one read last.

    Unless ``fresh``, the one read last is returned when there is one.
    """
    state = None if fresh else _STATES.get((using, key))
    if state is not None:
        return state, True
    state = RollupState.objects.using(using).filter(model=key).first()
    if state is None:
        _STATES.pop((using, key), None)
    else:
        _STATES[(using, key)] = state
    return state, False


LAST_INSTANT = datetime.datetime.max


class HeadMoved(Exception):
    """The rollup moved on from the state a request started from: it reads the new state."""


def read_plan(queryset: models.QuerySet, dimensions: Iterable[str]) -> Plan | None:
    """Translate the WHERE clause of ``queryset`` into a plan, or ``None`` when it does not fit."""
    conditions = read_conditions(queryset)
    if conditions is None or conditions.nothing:
        return None
    dimensions = set(dimensions)
    plan = Plan()
    for name, lookup in conditions.compared:
        if name != "date_done" or not _read_date(lookup, lookup.rhs, plan):
            return None
    for name, values in conditions.equal.items():
        if name == "status":
            plan.statuses = set(values) - {ALL_STATUSES}  # no result has it: all statuses do
        elif name in dimensions and plan.dimension is None:
            plan.dimension = name
            plan.values = {encode(value) for value in values}
        else:
            return None  # a date equality, or a second dimension (rolled up one at a time)
    return plan


def _read_date(lookup: Any, rhs: Any, plan: Plan) -> bool:
    if not isinstance(rhs, datetime.datetime):
        return False
    if isinstance(lookup, GreaterThanOrEqual | GreaterThan):
        first = rhs
        if isinstance(lookup, GreaterThan) and rhs.replace(tzinfo=None) < LAST_INSTANT:
            first = rhs + MICROSECOND
        plan.start = first if plan.start is None else max(plan.start, first)
        return True
    if isinstance(lookup, LessThanOrEqual | LessThan):
        if (
            isinstance(lookup, LessThanOrEqual)
            and rhs.replace(tzinfo=None) == datetime.datetime.max
        ):
            return True  # on or before the last instant a datetime holds: no bound at all
        last = rhs + MICROSECOND if isinstance(lookup, LessThanOrEqual) else rhs
        plan.end = last if plan.end is None else min(plan.end, last)
        return True
    return False


def _answer(
    queryset: models.QuerySet,
    plan: Plan,
    group_by: list[str],
    interval: str | None,
    state: RollupState,
    buckets: Buckets,
) -> list[dict[str, Any]]:
    head = state.rolled_until
    assert head is not None  # stats_from_rollup checked
    # The rollup covers [low, high): whole hours inside the request's range, up to its head.
    try:
        low = None if plan.start is None else _ceil_hour(plan.start, buckets)
        high = head if plan.end is None or plan.end >= head else buckets.hour_start(plan.end)
    except OverflowError:
        # A bound whose hour lies past what a datetime holds (year 1 or 9999 in the project's
        # time zone): no whole hour of the rollup is inside it, so the task table answers.
        low = high = head
    groups: defaultdict[tuple, Group] = defaultdict(Group)
    if low is None or low < high:
        # The rows as this state left them: one statement reads them and checks that the
        # database still holds the state, so a run that committed since makes it read none.
        unchanged = RollupState.objects.using(queryset.db).filter(
            pk=state.pk,
            rolled_until=head,
            pending_states=state.pending_states,
            time_zone=state.time_zone,
            dimensions=state.dimensions,
        )
        rollup = TaskResultRollup.objects.using(queryset.db).filter(
            models.Exists(unchanged), model=state.model, dimension=plan.dimension or ""
        )
        span = (low, high, head)
        read = _add_rollup_rows(rollup, plan, group_by, interval, buckets, span, groups)
        if not read and not unchanged.exists():
            raise HeadMoved
        live = _live_parts(queryset, low, high, json.loads(state.pending_states))
    else:
        live = [queryset]
    _add_task_rows(live, group_by, interval, buckets, groups)
    return _rows(groups, group_by, interval)


def _live_parts(
    queryset: models.QuerySet,
    low: datetime.datetime | None,
    high: datetime.datetime,
    pending: list[str],
) -> list[models.QuerySet]:
    """Return the rows the rollup does not hold, as parts that share no row.

    The rows done since ``high`` and before ``low``, and those in a pending
    state between them: three ranges that each index reads alone, where one
    OR of them made PostgreSQL read every row of the range to keep a few.
    """
    parts = [queryset.filter(date_done__gte=high)]
    between = ~models.Q(date_done__gte=high)
    if low is not None:
        parts.append(queryset.filter(date_done__lt=low))
        between &= ~models.Q(date_done__lt=low)
    if pending:
        parts.append(queryset.filter(between, status__in=pending))
    return parts


def _ceil_hour(instant: datetime.datetime, buckets: Buckets) -> datetime.datetime:
    hour = buckets.hour_start(instant)
    return (
        hour
        if hour == instant
        else buckets.hour_start(hour + datetime.timedelta(hours=1, minutes=30))
    )


def _add_rollup_rows(
    rows: models.QuerySet,
    plan: Plan,
    group_by: list[str],
    interval: str | None,
    buckets: Buckets,
    span: tuple[datetime.datetime | None, datetime.datetime, datetime.datetime],
    groups: defaultdict[tuple, Group],
) -> int:
    """Merge the rollup rows of ``[low, high)`` into ``groups``; return how many were read.

    ``head`` is the rollup's end.
    """
    low, high, head = span
    if interval:
        # As seconds: Django reads a timestamptz in Python, several times slower than a float.
        rows = rows.annotate(rollup_bucket=RawSQL(*_bucket_seconds(rows.db), models.FloatField()))
    if plan.values is not None:
        rows = rows.filter(value_key__in=sorted(value_key(value) for value in plan.values))
    if plan.statuses is not None:
        rows = rows.filter(status__in=sorted(plan.statuses))
    elif "status" in group_by:
        rows = rows.exclude(status=ALL_STATUSES)
    else:
        rows = rows.filter(status=ALL_STATUSES)  # one row a bucket, every status together
    if interval == "hour":
        hours = rows.filter(level="hour", bucket__lt=high)
        selected = hours if low is None else hours.filter(bucket__gte=low)
    else:
        # Whole days where the range holds them, hours at its ends.
        first_day = low if low is None or low == buckets.day_start(low) else None
        if low is not None and first_day is None:
            first_day = buckets.next_day(buckets.day_start(low))
        # The head's own day row stops at the head, as the range does.
        last_day = high if high == head else buckets.day_start(high)
        if first_day is not None and first_day >= last_day:
            selected = rows.filter(level="hour", bucket__gte=low, bucket__lt=high)
        else:
            days = rows.filter(level="day", bucket__lt=last_day)
            if first_day is not None:
                days = days.filter(bucket__gte=first_day)
            edges = models.Q(bucket__gte=last_day, bucket__lt=high)
            if first_day is not None:
                edges |= models.Q(bucket__gte=low, bucket__lt=first_day)
            selected = days.union(rows.filter(edges, level="hour"), all=True)
    buckets_read = ["rollup_bucket"] if interval else []
    columns = ("status", "value", *STAT_FIELDS, *PERCENTILE_FIELDS, *buckets_read)
    by_status = "status" in group_by
    by_value = len(group_by) > by_status
    # Each row: status, value, count, the runtime and wait figures, failures, first and
    # last date_done, percentiles, bucket.
    read = 0
    for row in selected.values_list(*columns):
        read += 1
        bucket = None
        if interval:
            bucket = EPOCH + datetime.timedelta(seconds=row[18])
            if interval == "day":
                bucket = buckets.day_start(bucket)
        key = (
            row[0] if by_status else None,
            json.loads(row[1]) if by_value else None,
            bucket,
        )
        group = groups[key]
        group.count += row[2]
        group.runtime.add(row[3], row[4], row[5], row[6], row[14:16])
        group.wait.add(row[7], row[8], row[9], row[10], row[16:18])
        group.seen(row[11], row[12], row[13])
    return read


@functools.lru_cache(maxsize=16)
def _bucket_seconds(using: str) -> tuple[str, tuple]:
    """Return the SQL (and parameters) of a rollup row's bucket in seconds since the epoch.

    Compiled once: Django's expressions cost more to build than the column to read.
    """
    seconds = bins.seconds(F("bucket") - Value(EPOCH, models.DateTimeField()))
    query = TaskResultRollup.objects.using(using).annotate(seconds=seconds).query
    sql, params = query.get_compiler(using=using).compile(query.annotations["seconds"])
    return sql, tuple(params)


def _add_task_rows(
    parts: Sequence[models.QuerySet],
    group_by: list[str],
    interval: str | None,
    buckets: Buckets,
    groups: defaultdict[tuple, Group],
) -> None:
    """Add the results ``parts`` (querysets that share no row) select, read from the task table."""
    grouped = [name for name in group_by if name != "status"]
    column = column_of(parts[0].model, grouped[0]) if grouped else None
    for counts in task_counts.count(parts, column, by_quarter=bool(interval)):
        bucket = None
        if interval:
            assert counts.quarter is not None
            hour, day = buckets.of(counts.quarter)
            bucket = hour if interval == "hour" else day
        group = groups[(counts.status if "status" in group_by else None, counts.value, bucket)]
        group.count += counts.count
        group.seen(
            counts.count if counts.status == states.FAILURE else 0, counts.first, counts.last
        )
        for measure, figures in ((group.runtime, counts.runtime), (group.wait, counts.wait)):
            if figures.count:
                measure.add(figures.count, figures.total, figures.maximum)
                measure.live = [*measure.live, *figures.ordinals]


def _rows(
    groups: dict[tuple, Group], group_by: list[str], interval: str | None
) -> list[dict[str, Any]]:
    """Return the rows of ``groups``, ordered by their keys as the direct query orders them.

    A group's key is (status, the dimension's value, bucket), each ``None``
    where the request does not group by it.
    """
    names = [*group_by, "bucket"] if interval else list(group_by)
    if not names:
        return [_figures({}, groups.get((None, None, None), Group()))]
    positions = [0 if name == "status" else 1 for name in group_by]
    if interval:
        positions.append(2)
    keyed = {tuple(key[position] for position in positions): key for key in groups}
    if any(None in shown for shown in keyed):  # nulls last, as the direct query has them

        def order(shown: tuple) -> tuple:
            return tuple((value is None, value) for value in shown)

        ordered = sorted(keyed, key=order)
    else:
        ordered = sorted(keyed)
    return [
        _figures(dict(zip(names, shown, strict=True)), groups[keyed[shown]]) for shown in ordered
    ]


def _figures(row: dict[str, Any], group: Group) -> dict[str, Any]:
    row["count"] = group.count
    row["failures"] = group.failures
    row["first_seen"], row["last_seen"] = (
        None if seconds is None else EPOCH + datetime.timedelta(seconds=seconds)
        for seconds in (group.first, group.last)
    )
    row.update(zip(figure_names(RUNTIME), group.runtime.figures(), strict=True))
    row.update(zip(figure_names(WAIT), group.wait.figures(), strict=True))
    return row
