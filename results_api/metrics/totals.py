"""Keep the metrics' totals: add the final results of each closed window, once, forever.

    count_totals(get_task_result_model())     # the rollup task and command run it

Out of band, like the stats rollup (``results_api/rollups.py``), and with
its own high-water mark, ``MetricState.counted_until``: each run takes the
results whose ``date_done`` lies between it and ``now - ROLLUP_LAG``
(a day at most per transaction), counts the final ones per label
combination and state, folds their runtimes and waiting times into the
histograms' buckets, adds that to the stored totals and moves the mark on.
The totals are never recounted from the task table unless the label or
bucket settings change, so a cleanup of old results (``delete_expired``)
or a rebuild of the stats rollup never makes a counter go back.

A duration is put in a bucket by the value of its rollup histogram bin
(``results_api/histogram.py``), within 1% of it: one within 1% of a bound
may land in the bucket next to it.
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import models, router, transaction
from django.utils import timezone

from django_celery_results.models.abstract import AbstractTaskResult

from ..conf import api_settings
from ..fields.durations import RUNTIME as RUNTIME_RULE
from ..fields.durations import WAIT as WAIT_RULE
from ..stats import histogram, task_counts
from ..stats.rollups import FINAL_STATES, model_key
from .labels import OVERFLOW, LabelSet, label_set, label_value
from .models import MetricState, MetricTotal

COUNT = "count"
RUNTIME = RUNTIME_RULE.name
WAIT = WAIT_RULE.name
WINDOW = datetime.timedelta(days=1)


def bucket_bounds() -> tuple[float, ...]:
    """Return the histograms' bucket bounds in seconds, ascending (+Inf not included)."""
    return tuple(sorted(float(bound) for bound in api_settings.METRICS_BUCKETS))


def labels_key(values: Sequence[str]) -> str:
    """Return the key of a label combination in the totals table (the MD5 of its JSON)."""
    return hashlib.md5(encode_labels(values).encode(), usedforsecurity=False).hexdigest()


def encode_labels(values: Sequence[str]) -> str:
    """Return a label combination as the totals table stores it: a JSON list."""
    return json.dumps(list(values), separators=(",", ":"))


@dataclass
class Histogram:
    """Durations of one label combination: how many, their sum, and the count per bucket."""

    count: int = 0
    total: float = 0.0
    buckets: list[int] = field(default_factory=list)

    def add(self, count: int, total: float, buckets: Iterable[int]) -> None:
        self.count += count
        self.total += total
        self.buckets = [mine + theirs for mine, theirs in zip(self.buckets, buckets, strict=True)]


def count_totals(
    model: type[AbstractTaskResult],
    *,
    until: datetime.datetime | None = None,
    using: str | None = None,
) -> datetime.datetime | None:
    """Add ``model``'s final results up to ``until`` to its totals; return how far they reach.

    ``until`` defaults to ``now - ROLLUP_LAG``; ``using`` to the database the
    router picks for writes of ``model``. Safe from several processes at
    once: each window is one transaction holding the model's state row.
    """
    using = using or router.db_for_write(model)
    if until is None:
        until = timezone.now() - datetime.timedelta(seconds=api_settings.ROLLUP_LAG)
    labels = label_set(model)
    bounds = bucket_bounds()
    while True:
        with transaction.atomic(using=using):
            state = _locked_state(model, labels, bounds, using)
            start = state.counted_until
            if start is None:
                oldest = model._default_manager.using(using).aggregate(
                    first=models.Min("date_done")
                )["first"]
                start = min(oldest, until) if oldest is not None else until
            end = min(start + WINDOW, until)
            if end <= start:
                if state.counted_until is None:
                    state.counted_until = start
                    state.save(using=using)
                return state.counted_until
            _count_window(model, state, labels, bounds, start, end, using)
            state.counted_until = end
            state.save(using=using)


def _settings_of(labels: LabelSet, bounds: tuple[float, ...]) -> str:
    return json.dumps(
        {"labels": labels.names, "histogram_labels": labels.histogram_names, "buckets": bounds}
    )


def _locked_state(
    model: type[AbstractTaskResult], labels: LabelSet, bounds: tuple[float, ...], using: str
) -> MetricState:
    """Return ``model``'s state row, locked until the transaction ends; reset it if stale."""
    key = model_key(model)
    manager = MetricState.objects.using(using)
    settings = _settings_of(labels, bounds)
    # A write first, as the rollup does: SQLite's write lock before any read.
    if not manager.filter(model=key).update(model=key):
        manager.get_or_create(model=key, defaults={"settings": settings})
    state = manager.select_for_update().get(model=key)
    if state.settings != settings:
        # Other labels or buckets: these totals cannot be added to; count again.
        MetricTotal.objects.using(using).filter(model=key).delete()
        state.counted_until, state.settings, state.series = None, settings, 0
    return state


def _count_window(
    model: type[AbstractTaskResult],
    state: MetricState,
    labels: LabelSet,
    bounds: tuple[float, ...],
    start: datetime.datetime,
    end: datetime.datetime,
    using: str,
) -> None:
    """Add the final results of ``[start, end)`` to the totals."""
    window = (
        model._default_manager.using(using)
        .filter(date_done__gte=start, date_done__lt=end, status__in=sorted(FINAL_STATES))
        .order_by()
    )
    columns = ("task_name", *labels.columns)
    groups = list(task_counts.count(window, columns))
    if not groups:
        return
    found = [tuple(map(label_value, group.value)) for group in groups]
    admitted = _admit(model_key(model), state, set(found), using)
    counts: defaultdict[tuple, int] = defaultdict(int)
    histograms: defaultdict[tuple, Histogram] = defaultdict(
        lambda: Histogram(buckets=[0] * (len(bounds) + 1))
    )
    fold = _folder(bounds)
    for group, combination in zip(groups, found, strict=True):
        combination = admitted[combination]
        counts[(combination, group.status)] += group.count
        task, extra = combination[0], combination[1:]
        projected = (task, *(extra[position] for position in labels.histogram_positions))
        for kind, durations in ((RUNTIME, group.runtime), (WAIT, group.wait)):
            if durations.count:
                histograms[(kind, projected)].add(
                    durations.count, durations.total, fold(durations.ordinals)
                )
    _add_to_table(model_key(model), counts, histograms, using)


def _admit(key: str, state: MetricState, found: set[tuple], using: str) -> dict[tuple, tuple]:
    """Map each label combination to itself, or past ``METRICS_MAX_SERIES`` to its overflow."""
    known = _known_keys(key, {labels_key(combination) for combination in found}, using)
    new = sorted(combination for combination in found if labels_key(combination) not in known)
    room = max(api_settings.METRICS_MAX_SERIES - state.series, 0)
    admitted = {combination: combination for combination in found}
    for combination in new[room:]:
        admitted[combination] = (combination[0], *[OVERFLOW] * (len(combination) - 1))
    # An overflow combination is a series too, the first time it is met.
    overflow = {labels_key(admitted[combination]) for combination in new[room:]}
    state.series += len(new[:room]) + len(overflow - _known_keys(key, overflow, using))
    return admitted


def _known_keys(key: str, keys: set[str], using: str) -> set[str]:
    """Return which of the label combination ``keys`` the count rows hold already."""
    known: set[str] = set()
    for chunk in _chunks(sorted(keys), 500):
        known.update(
            MetricTotal.objects.using(using)
            .filter(model=key, kind=COUNT, labels_key__in=chunk)
            .values_list("labels_key", flat=True)
        )
    return known


def _folder(bounds: tuple[float, ...]):  # type: ignore[no-untyped-def]
    """Return what counts histogram bin ordinals per bucket (the last one: +Inf)."""
    bucket_of: dict[int, int] = {}

    def fold(ordinals: Iterable[int]) -> list[int]:
        buckets = [0] * (len(bounds) + 1)
        for ordinal in ordinals:
            index = bucket_of.get(ordinal)
            if index is None:
                index = bucket_of[ordinal] = bisect.bisect_left(bounds, histogram.value_of(ordinal))
            buckets[index] += 1
        return buckets

    return fold


def _add_to_table(
    key: str,
    counts: dict[tuple, int],
    histograms: dict[tuple, Histogram],
    using: str,
) -> None:
    """Add ``counts`` and ``histograms`` to the stored rows with the same keys, or store them."""
    wanted: dict[tuple[str, str, str], MetricTotal] = {}
    for (combination, status), number in counts.items():
        wanted[(COUNT, labels_key(combination), status)] = MetricTotal(
            model=key,
            kind=COUNT,
            labels=encode_labels(combination),
            labels_key=labels_key(combination),
            status=status,
            count=number,
        )
    for (kind, combination), found in histograms.items():
        wanted[(kind, labels_key(combination), "")] = MetricTotal(
            model=key,
            kind=kind,
            labels=encode_labels(combination),
            labels_key=labels_key(combination),
            count=found.count,
            total=found.total,
            buckets=",".join(map(str, found.buckets)),
        )
    manager = MetricTotal.objects.using(using)
    stored = []
    for chunk in _chunks(sorted({row_key[1] for row_key in wanted}), 500):
        stored.extend(manager.filter(model=key, labels_key__in=chunk))
    replaced = []
    for row in stored:
        new = wanted.get((row.kind, row.labels_key, row.status))
        if new is None:
            continue
        new.count += row.count
        new.total += row.total
        if row.buckets:
            added = zip(_buckets(new.buckets), _buckets(row.buckets), strict=True)
            new.buckets = ",".join(str(mine + theirs) for mine, theirs in added)
        replaced.append(row.pk)
    # Replaced rather than updated, as the rollup's rows are: one DELETE and one INSERT.
    for chunk in _chunks(replaced, 500):
        manager.filter(pk__in=chunk).delete()
    manager.bulk_create(wanted.values(), batch_size=2000)


def _buckets(text: str) -> list[int]:
    return [int(number) for number in text.split(",")]


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for first in range(0, len(items), size):
        yield items[first : first + size]
