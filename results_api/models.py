"""The rollup tables behind ``tasks/stats/``: aggregates of final results per time bucket.

One pair of tables serves every task result model, keyed by its label, so
that a project's custom model needs no migration of its own: a rollup row
holds one dimension's value as JSON text (``tenant`` = ``6``). See
docs/api.md, "Stats from rollups", and ``results_api/stats/rollups.py``, which
keeps them.
"""

from __future__ import annotations

import hashlib

from django.db import models


def value_key(value: str) -> str:
    """Return the key of a dimension's stored value (its MD5, hex)."""
    return hashlib.md5(value.encode(), usedforsecurity=False).hexdigest()


class TaskResultRollup(models.Model):
    """Counts and duration aggregates of one model's final results in one bucket and group.

    The group is a status and, unless ``dimension`` is empty, one value of
    that dimension. A row covers the results whose ``date_done`` falls in
    its bucket and before the model's ``RollupState.rolled_until``.
    """

    model = models.CharField(max_length=100)
    dimension = models.CharField(max_length=100, blank=True)
    value = models.TextField(blank=True)
    # The MD5 of value: what the key and look-ups use, so that a long task name fits
    # in an index on every database (MariaDB's keys hold 3,072 bytes at most).
    value_key = models.CharField(max_length=32, blank=True)
    level = models.CharField(max_length=4)
    bucket = models.DateTimeField()
    status = models.CharField(max_length=50)
    count = models.BigIntegerField(default=0)
    runtime_count = models.BigIntegerField(default=0)
    runtime_sum = models.FloatField(default=0)
    runtime_max = models.FloatField(null=True)
    runtime_histogram = models.TextField(default="")
    wait_count = models.BigIntegerField(default=0)
    wait_sum = models.FloatField(default=0)
    wait_max = models.FloatField(null=True)
    wait_histogram = models.TextField(default="")
    # The percentiles of the two histograms, so that a group of one row reads none.
    runtime_p50 = models.FloatField(null=True)
    runtime_p95 = models.FloatField(null=True)
    wait_p50 = models.FloatField(null=True)
    wait_p95 = models.FloatField(null=True)
    # How many are FAILURE (in a row of every status together too), and the earliest and
    # latest date_done, in seconds since the epoch.
    failures = models.BigIntegerField(default=0)
    first_done = models.FloatField(null=True)
    last_done = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model", "dimension", "value_key", "level", "bucket", "status"],
                name="results_api_rollup_key",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.model} {self.dimension}={self.value} {self.status} {self.level} {self.bucket}"
        )


class RollupState(models.Model):
    """How far the rollup of one task result model reaches, and what it was built with."""

    model = models.CharField(max_length=100, unique=True)
    # Final results with a date_done before this are in the rollup; later ones are not.
    rolled_until = models.DateTimeField(null=True)
    time_zone = models.CharField(max_length=64)
    dimensions = models.TextField(default="[]")
    # The states other than SUCCESS, FAILURE and REVOKED seen before rolled_until: stats
    # read their rows from the task table, where they may still change.
    pending_states = models.TextField(default="[]")

    def __str__(self) -> str:
        return f"{self.model} until {self.rolled_until}"


# The metrics' tables live with their code; imported here so that Django registers them.
# The record of bulk actions lives with the bulk package.
from .bulk.models import BulkAction, BulkRetry  # noqa: E402
from .metrics.models import MetricState, MetricTotal  # noqa: E402

# The search side table and its state live with the search package.
from .search.models import TaskSearchState, TaskSearchText  # noqa: E402

__all__ = [
    "BulkAction",
    "BulkRetry",
    "MetricState",
    "MetricTotal",
    "RollupState",
    "TaskResultRollup",
    "TaskSearchState",
    "TaskSearchText",
    "value_key",
]
