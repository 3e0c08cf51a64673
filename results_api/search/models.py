"""The search side table: each task row's searchable text, keyed by the row's primary key.

One table serves the active task result model (its label and the rules the
text was built with are in ``TaskSearchState``; another model or other
rules empty the table). Kept out of band by :mod:`results_api.search.index`,
so the write path keeps its one statement per stored state. On PostgreSQL
the migration adds a ``pg_trgm`` GIN index over ``text``.
"""

from __future__ import annotations

from django.db import models


class TaskSearchText(models.Model):
    """The masked, lower-case searchable text of one task row (:mod:`results_api.search.text`)."""

    task_pk = models.BigIntegerField(primary_key=True)
    text = models.TextField()

    def __str__(self) -> str:
        return f"search text of task row {self.task_pk}"


class TaskSearchState(models.Model):
    """How far the side table reaches for one model, and the rules its text was built with.

    Every row of the model whose ``date_done`` is before ``indexed_until``
    has its text in the table as of that write; later rows (and all rows
    while ``indexed_until`` is null) are matched live.
    """

    model = models.CharField(max_length=100, unique=True)
    indexed_until = models.DateTimeField(null=True)
    fingerprint = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.model} search indexed until {self.indexed_until}"
