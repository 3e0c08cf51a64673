"""The metric families of one scrape, as ``prometheus_client`` collects them.

    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoredMetrics(model, queryset, narrowing))
    generate_latest(registry)

Counters and histograms come from the totals (``results_api/metrics/totals.py``),
one read of at most ``METRICS_MAX_SERIES`` rows whatever the size of the
task table; gauges (queued and started tasks, the oldest queued task's age)
from the task table's unfinished rows, through its ``status`` index; the
lag of both rollups from their state rows. Nothing is kept in the process:
every web process answers the same numbers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from celery import states
from django.db import models
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString

from django_celery_results.models.abstract import AbstractTaskResult

from ..models import RollupState
from ..stats.rollups import model_key
from .labels import STATE, TASK, label_set, label_value
from .models import MetricState, MetricTotal
from .scope import Narrowing
from .totals import COUNT, RUNTIME, WAIT, bucket_bounds

PREFIX = "celery_results_"
# Waiting to run: sent (CELERY_RESULTS_TRACK_SENT), received, or to be retried.
QUEUED_STATES = (states.PENDING, states.RECEIVED, states.RETRY)
STARTED_STATES = (states.STARTED,)


class StoredMetrics:
    """A ``prometheus_client`` collector of one task result model's stored metrics."""

    def __init__(
        self,
        model: type[AbstractTaskResult],
        queryset: models.QuerySet,
        narrowing: Narrowing,
    ) -> None:
        self.model = model
        self.queryset = queryset  # the task rows the scraper may see: the gauges' source
        self.narrowing = narrowing
        self.labels = label_set(model)

    def collect(self) -> Iterator[Metric]:
        """Yield every metric family, read from the database now."""
        yield from self._totals()
        yield from self._unfinished()
        yield self._lag()

    def _totals(self) -> Iterator[Metric]:
        names = self.labels.names
        histogram_names = self.labels.histogram_names
        tasks = CounterMetricFamily(
            f"{PREFIX}tasks",
            "Tasks that reached a final state (SUCCESS, FAILURE, REVOKED), since counting began.",
            labels=[TASK, *names, STATE],
        )
        durations = {
            RUNTIME: HistogramMetricFamily(
                f"{PREFIX}task_runtime_seconds",
                "Seconds from a task's start to its final state (date_started to date_done).",
                labels=[TASK, *histogram_names],
            ),
            WAIT: HistogramMetricFamily(
                f"{PREFIX}task_wait_seconds",
                "Seconds a task waited to start (date_created to date_started).",
                labels=[TASK, *histogram_names],
            ),
        }
        narrowing = self.narrowing
        show_histograms = narrowing.narrows_only(self.labels.histogram_positions)
        histogram_positions = self.labels.histogram_positions
        bounds = [floatToGoString(bound) for bound in bucket_bounds()] + ["+Inf"]
        rows = (
            MetricTotal.objects.using(self.queryset.db)
            .filter(model=model_key(self.model))
            .order_by("kind", "labels", "status")
            .values_list("kind", "labels", "status", "count", "total", "buckets")
        )
        for kind, labels, status, number, total, buckets in rows.iterator(chunk_size=5000):
            values = json.loads(labels)
            if kind == COUNT:
                if narrowing.admits(values[1:]):
                    tasks.add_metric([*values, status], number)
            elif show_histograms and self._histogram_admits(values, histogram_positions):
                cumulative, running = [], 0
                for bound, count in zip(bounds, buckets.split(","), strict=True):
                    running += int(count)
                    cumulative.append((bound, running))
                durations[kind].add_metric(values, cumulative, total)
        yield tasks
        yield from durations.values()

    def _histogram_admits(self, values: list[str], histogram_positions: tuple[int, ...]) -> bool:
        """Return whether a histogram series (task, then its labels) may be read."""
        for position, values_allowed in self.narrowing.allowed.items():
            if values[1 + histogram_positions.index(position)] not in values_allowed:
                return False
        return True

    def _unfinished(self) -> Iterator[Metric]:
        names = self.labels.names
        label_names = [TASK, *names]
        queued = GaugeMetricFamily(
            f"{PREFIX}tasks_queued",
            "Tasks waiting to run: PENDING (stored when sent), RECEIVED or RETRY.",
            labels=label_names,
        )
        started = GaugeMetricFamily(
            f"{PREFIX}tasks_started", "Tasks running now (STARTED).", labels=label_names
        )
        oldest = GaugeMetricFamily(
            f"{PREFIX}oldest_queued_task_age_seconds",
            "Seconds since the oldest task still waiting to run was sent.",
            labels=label_names,
        )
        columns = ("task_name", *self.labels.columns)
        rows = (
            self.queryset.filter(status__in=[*QUEUED_STATES, *STARTED_STATES])
            .order_by()
            .values(*columns, "status")
            .annotate(metrics_count=Count("*"), metrics_oldest=Min("date_created"))
            .values_list(*columns, "status", "metrics_count", "metrics_oldest")
        )
        now = timezone.now()
        waiting: dict[tuple[str, ...], list[Any]] = {}
        running: dict[tuple[str, ...], int] = {}
        for *values, status, number, first in rows:
            key = tuple(label_value(value) for value in values)
            if status in STARTED_STATES:
                running[key] = running.get(key, 0) + number
                continue
            found = waiting.setdefault(key, [0, None])
            found[0] += number
            if first is not None and (found[1] is None or first < found[1]):
                found[1] = first
        for key, (number, first) in sorted(waiting.items()):
            queued.add_metric(list(key), number)
            if first is not None:
                oldest.add_metric(list(key), max((now - first).total_seconds(), 0.0))
        for key, number in sorted(running.items()):
            started.add_metric(list(key), number)
        yield queued
        yield started
        yield oldest

    def _lag(self) -> Metric:
        lag = GaugeMetricFamily(
            f"{PREFIX}rollup_lag_seconds",
            "Seconds between now and the last final result a rollup holds "
            '(rollup="stats": tasks/stats/; rollup="metrics": these totals); '
            "+Inf until its first run.",
            labels=["rollup"],
        )
        key, using, now = model_key(self.model), self.queryset.db, timezone.now()
        heads = {
            "stats": RollupState.objects.using(using)
            .filter(model=key)
            .values_list("rolled_until", flat=True)
            .first(),
            "metrics": MetricState.objects.using(using)
            .filter(model=key)
            .values_list("counted_until", flat=True)
            .first(),
        }
        for name, head in heads.items():
            # A rollup that never ran is behind by every result: an alert on the lag fires.
            seconds = math.inf if head is None else max((now - head).total_seconds(), 0.0)
            lag.add_metric([name], seconds)
        return lag
