"""Live updates: ``?updated_since=`` returns what changed, for dashboards that poll.

    GET tasks/?updated_since=2026-11-24T07:23:33.436733Z

returns the rows whose ``date_done`` (set on every stored state) is at or
after the given time less ``UPDATED_SINCE_OVERLAP`` seconds, with every
other filter, ordered by ``date_done`` then primary key unless ``?ordering=``
says otherwise. A dashboard follows ``next`` to the last page, merges the
rows by ``task_id``, and passes the last row's ``date_done`` to its next
poll. Nothing is missed:

* the comparison is inclusive, so rows written in the same instant as the
  last one seen come again rather than never;
* a row written during the walk through the pages moves ahead of the
  cursor (its ``date_done`` grows), so it is read on a later page;
* a write that commits after a poll with a ``date_done`` before what that
  poll saw (a slow transaction, a worker whose clock lags) is within the
  overlap, as long as the overlap is larger than that delay.

The price is that rows near the last ``date_done`` come more than once;
they are merged by ``task_id``. An unchanged poll returns the same body,
which the ``ETag`` turns into a ``304`` (see :mod:`results_api.conditional`).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django_filters import rest_framework as filters
from rest_framework.request import Request

from .conf import api_settings

__all__ = ["DELTA_ORDERING", "UPDATED_SINCE", "UpdatedSinceFilter", "default_ordering"]

UPDATED_SINCE = "updated_since"
# The order of a delta: by the time each row last changed, so a row that
# changes again while the pages are read moves ahead of the cursor.
DELTA_ORDERING = ("date_done",)
LIST_ORDERING = ("-date_created",)


class UpdatedSinceFilter(filters.IsoDateTimeFilter):
    """Keep rows whose ``date_done`` is at or after the value less ``UPDATED_SINCE_OVERLAP``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("field_name", "date_done")
        kwargs.setdefault("lookup_expr", "gte")
        kwargs.setdefault(
            "help_text",
            "Rows that changed at or after this time (ISO 8601), less UPDATED_SINCE_OVERLAP "
            "seconds; ordered by date_done unless `ordering` is given. Pass the date_done "
            "of the last row of the previous poll and merge rows by task_id.",
        )
        super().__init__(**kwargs)

    def filter(self, qs: models.QuerySet, value: datetime.datetime | None) -> models.QuerySet:
        if value is None:
            return qs
        overlap = datetime.timedelta(seconds=api_settings.UPDATED_SINCE_OVERLAP)
        # In UTC: databases take fewer offsets than Python (PostgreSQL: up to 15:59).
        utc = datetime.timezone.utc if timezone.is_aware(value) else None
        try:
            since = (value.astimezone(utc) if utc else value) - overlap
        except OverflowError:  # within the overlap of year 1
            since = datetime.datetime.min.replace(tzinfo=utc)
        return super().filter(qs, since)


def default_ordering(request: Request | None) -> tuple[str, ...]:
    """Return the list's default ordering: by ``date_done`` for a delta, newest first otherwise."""
    if request is not None and UPDATED_SINCE in request.query_params:
        return DELTA_ORDERING
    return LIST_ORDERING
