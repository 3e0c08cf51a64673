"""Live updates: ``?updated_since=`` returns what changed, for dashboards that poll.

    GET tasks/?updated_since=2026-11-24T07:23:30.000000Z
    -> 200, Next-Updated-Since: 2026-11-24T07:23:35.120000Z

returns the rows whose ``date_done`` (set on every stored state) is at or
after the given time less ``UPDATED_SINCE_OVERLAP`` seconds, with every
other filter, ordered by ``date_done`` then primary key unless ``?ordering=``
says otherwise. Every task list response carries ``Next-Updated-Since``: the
server's time when it began. A dashboard follows ``next`` to the last page,
merges the rows by ``task_id``, and polls again with the
``Next-Updated-Since`` of the first page of that walk. Nothing is missed:

* a row written in the same instant as the walk began is at the boundary,
  and the comparison is inclusive, so it comes again rather than never;
* a row that changes while the pages are read moves ahead of the cursor
  (its ``date_done`` grows), so a later page has it; if it moved behind the
  cursor instead (see below), the next walk has it;
* a write stamped before it commits (a slow transaction, a lock wait, a
  worker whose clock lags the server's) has a ``date_done`` before the walk
  began; the overlap reaches back for it, as long as it is larger than
  that delay.

The last row's ``date_done`` is no safe next value: a long walk sees rows
written after it began, later than a write that committed late. The price
of the overlap is that rows of its last seconds come again; they are merged
by ``task_id``, and an unchanged answer is a ``304`` (see
:mod:`results_api.rest.conditional`).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django_filters import rest_framework as filters
from rest_framework.request import Request

from ..conf import api_settings
from .request_values import UtcIsoDateTimeField

__all__ = [
    "DELTA_ORDERING",
    "NEXT_UPDATED_SINCE",
    "UPDATED_SINCE",
    "UpdatedSinceFilter",
    "default_ordering",
    "format_since",
]

UPDATED_SINCE = "updated_since"
# The response header with the updated_since of the next poll.
NEXT_UPDATED_SINCE = "Next-Updated-Since"
# The order of a delta: by the time each row last changed, so a row that
# changes again while the pages are read moves ahead of the cursor.
DELTA_ORDERING = ("date_done",)
LIST_ORDERING = ("-date_created",)


class UpdatedSinceFilter(filters.IsoDateTimeFilter):
    """Keep rows whose ``date_done`` is at or after the value less ``UPDATED_SINCE_OVERLAP``."""

    field_class = UtcIsoDateTimeField

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("field_name", "date_done")
        kwargs.setdefault("lookup_expr", "gte")
        kwargs.setdefault(
            "help_text",
            "Rows that changed at or after this time (ISO 8601), less UPDATED_SINCE_OVERLAP "
            "seconds; ordered by date_done unless `ordering` is given. Pass the "
            "Next-Updated-Since header of the first page of the previous poll, and merge "
            "rows by task_id.",
        )
        super().__init__(**kwargs)

    def filter(self, qs: models.QuerySet, value: datetime.datetime | None) -> models.QuerySet:
        if value is None:
            return qs
        overlap = datetime.timedelta(seconds=api_settings.UPDATED_SINCE_OVERLAP)
        try:
            since = value - overlap
        except OverflowError:  # within the overlap of year 1
            since = datetime.datetime.min.replace(tzinfo=value.tzinfo)
        return super().filter(qs, since)


def default_ordering(request: Request | None) -> tuple[str, ...]:
    """Return the list's default ordering: by ``date_done`` for a delta, newest first otherwise."""
    if request is not None and UPDATED_SINCE in request.query_params:
        return DELTA_ORDERING
    return LIST_ORDERING


def format_since(moment: datetime.datetime) -> str:
    """Return ``moment`` as ``updated_since`` takes it: ISO 8601, in UTC with ``Z`` if aware.

    ``Z`` rather than ``+00:00``, whose ``+`` a query string would read as a space.
    """
    if timezone.is_naive(moment):
        return moment.isoformat()
    return moment.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
