"""The cumulative totals behind the metrics endpoint: one row per label combination.

Like the rollup tables, one pair of tables serves every task result model
(keyed by its label), so a custom model needs no migration. Rows are only
ever added to, never deleted by a cleanup of old results, so the counters
they feed never go down (a change of the label or bucket settings starts
them again from the task table, which Prometheus reads as a reset).
"""

from __future__ import annotations

from django.db import models


class MetricTotal(models.Model):
    """The final results of one label combination since counting began.

    ``kind`` is ``count`` (one row per final state: ``count`` results) or
    ``runtime`` / ``wait`` (a histogram: ``count`` durations known, their
    ``total`` in seconds, and the count per bucket bound in ``buckets``).
    """

    model = models.CharField(max_length=100)
    kind = models.CharField(max_length=8)
    # The label values as a JSON list, in the order MetricState.labels names them.
    labels = models.TextField()
    labels_key = models.CharField(max_length=32)  # the MD5 of labels: what look-ups use
    status = models.CharField(max_length=50, blank=True)
    count = models.BigIntegerField(default=0)
    total = models.FloatField(default=0)
    # Histograms: the durations per bucket (not cumulative), comma-separated, +Inf last.
    buckets = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model", "kind", "labels_key", "status"], name="results_api_metric_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.kind} {self.labels} {self.status}"


class MetricState(models.Model):
    """How far the totals of one task result model reach, and what they were counted with."""

    model = models.CharField(max_length=100, unique=True)
    # Final results with a date_done before this are in the totals; later ones are not.
    counted_until = models.DateTimeField(null=True)
    # The label names, histogram label names and bucket bounds, as JSON: totals counted
    # with other settings are dropped and counted again.
    settings = models.TextField(default="{}")
    # How many label combinations the count rows hold (METRICS_MAX_SERIES caps it).
    series = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.model} until {self.counted_until}"
