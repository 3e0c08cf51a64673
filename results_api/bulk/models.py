"""The record of each bulk action: what was asked, how far it got, what each retry sent.

A run is keyed by its preview token's digest, so that confirming the same
preview twice (a retried request, a second click, a run killed half-way)
continues the one run instead of starting another.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class BulkAction(models.Model):
    """One confirmed bulk action over the rows a filter selected."""

    RUNNING = "running"
    DONE = "done"

    key = models.CharField(max_length=64, unique=True)
    action = models.CharField(max_length=20)
    model = models.CharField(max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filters = models.TextField(blank=True)
    matched = models.BigIntegerField()
    acted = models.BigIntegerField(default=0)
    skipped = models.JSONField(default=dict)
    # The primary key of the last row a finished batch covered: where a resumed run goes on.
    last_pk = models.BigIntegerField(null=True)
    state = models.CharField(max_length=10, default=RUNNING)
    # Until when one process holds the run: another confirmation meanwhile is refused,
    # and a run whose process died can be resumed once this has passed.
    leased_until = models.DateTimeField(null=True)
    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"bulk {self.action} of {self.matched} {self.model} rows ({self.state})"


class BulkRetry(models.Model):
    """A task a bulk retry claimed, with the id of its new task; ``sent`` once published.

    Claimed before the message is sent, so that a run resumed after a crash
    knows which tasks it may already have sent (and under which new id).
    """

    run = models.ForeignKey(BulkAction, on_delete=models.CASCADE, related_name="retries")
    task_pk = models.BigIntegerField()
    new_task_id = models.CharField(max_length=255)
    sent = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "task_pk"], name="results_api_bulk_retry_once")
        ]

    def __str__(self) -> str:
        return f"retry of row {self.task_pk} as {self.new_task_id}"
