"""Narrow a task queryset to the rows a search matches: indexed rows by SQL, the rest live.

A row whose ``date_done`` is before the side table's ``indexed_until`` is
matched by its stored text (``LIKE '%term%'`` on the lower-case text; on
PostgreSQL the trigram index serves it). Every other row (changed since the
last fill, or all rows while the table is empty or was built with other
rules) is read, masked and matched here in Python with the same text
builder, after every other filter and the scope, so an answer is never
stale. That live part is bounded by ``SEARCH_SCAN_LIMIT``: past it the
request is a 503 that says to run ``index_task_search``.

The two parts make no one condition PostgreSQL plans well for a page: it
cannot tell how many rows a union of the indexed and the live matches
holds, and for a term in most rows it hashed every indexed match to show
one page (0.23 s at 100k rows). A page (``SearchMatches.first``) is
therefore read in two steps when rows match live: the first rows of the
indexed matches, then the first rows among those and the live ones. The
filter leaves the matches on the request (``matches_of``) for the paginator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException

from django_celery_results.columns import column, concrete_field

from ..conf import api_settings
from .database import LINES_FUNCTION, NUMBERS_FUNCTION, NUMBERS_LONG_RUN, number_piece
from .index import current_mark
from .models import TaskSearchText
from .syntax import SearchQuery
from .text import COLUMNS, searchable_text

__all__ = ["SearchIndexBehind", "SearchMatches", "matches_of", "search_matches", "search_queryset"]

# The request attribute the search filter leaves its matches in.
REQUEST_ATTRIBUTE = "search_matches"


class SearchIndexBehind(APIException):
    """More rows than ``SEARCH_SCAN_LIMIT`` are not indexed yet: the search cannot answer now."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _(
        "The search index is behind: more task results than SEARCH_SCAN_LIMIT are not indexed "
        "yet. Run manage.py index_task_search (or its periodic task), or narrow the filters."
    )
    default_code = "search_index_behind"


@dataclass(frozen=True)
class SearchMatches:
    """The rows a search matched: by the side table before ``mark``, and live (``live_pks``)."""

    # The rows the search narrows: every other filter and the scope applied.
    base: models.QuerySet
    query: SearchQuery
    # How far the side table reaches; None when it serves nothing yet (all rows live).
    mark: Any
    live_pks: list[Any]

    def indexed(self) -> models.QuerySet:
        """Return the rows the side table matched (none without a mark)."""
        if self.mark is None:
            return self.base.none()
        connection = connections[self.base.db]
        done = _column(self.base.model, "date_done", connection)
        side_sql, params = _indexed_sql(self.query, connection)
        condition = f"{_column(self.base.model, 'pk', connection)} IN ({side_sql}) AND {done} < %s"
        return self.base.filter(
            RawSQL(condition, [*params, self.mark], output_field=models.BooleanField())
        )

    def queryset(self) -> models.QuerySet:
        """Return every match as one queryset: for counts, aggregates and exports."""
        if self.mark is None:
            return self.base.filter(pk__in=self.live_pks)
        if not self.live_pks:
            return self.indexed()
        return self.base.filter(_matched(self.base, self.query, self.mark, self.live_pks))

    def first(self, arrange: Callable[[models.QuerySet], models.QuerySet], count: int) -> list[Any]:
        """Return the first ``count`` matches in the order (and after the bound) ``arrange`` gives.

        With live matches, in two steps that each plan on their own: the
        first ``count`` indexed matches, then the first ``count`` of those
        and the live ones.
        """
        if self.mark is None or not self.live_pks:
            return list(arrange(self.queryset())[:count])
        keys = list(arrange(self.indexed()).values_list("pk", flat=True)[:count])
        return list(arrange(self.base.filter(pk__in=[*keys, *self.live_pks]))[:count])


def search_matches(queryset: models.QuerySet, query: SearchQuery) -> SearchMatches:
    """Return the rows of ``queryset`` that match every term of ``query``."""
    mark = current_mark(queryset.model, queryset.db)
    live = queryset
    if mark is not None:
        live = queryset.filter(models.Q(date_done__gte=mark) | models.Q(date_done__isnull=True))
    return SearchMatches(queryset, query, mark, _match_live(live, query))


def search_queryset(queryset: models.QuerySet, query: SearchQuery) -> models.QuerySet:
    """Return ``queryset`` narrowed to the rows that match every term of ``query``."""
    return search_matches(queryset, query).queryset()


def matches_of(request: Any, model: type[models.Model]) -> SearchMatches | None:
    """Return the matches the search filter left on ``request`` for ``model``'s rows, if any."""
    matches = getattr(request, REQUEST_ATTRIBUTE, None)
    if matches is None or matches.base.model is not model:
        return None
    return cast(SearchMatches, matches)


def _column(model: type[models.Model], name: str, connection: BaseDatabaseWrapper) -> str:
    """Return ``table.column`` of ``model``'s field ``name`` (or ``pk``), quoted."""
    quote = connection.ops.quote_name
    field = model._meta.pk if name == "pk" else concrete_field(model, name)
    return f"{quote(model._meta.db_table)}.{quote(column(field))}"


def _indexed_sql(query: SearchQuery, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
    """Return the side table's keys of the rows whose text matches every term, as SQL.

    Written out rather than built with the ORM: every search runs it, and
    building the subquery cost more than the database took to answer it.
    On PostgreSQL a key-targeted term is a whole line, found through the
    index of the lines' hashes; a term holding a number through the index of
    its pieces, then checked whole; any other term is a ``LIKE`` the trigram
    index serves. Elsewhere every term is Django's ``contains``.
    """
    postgresql = connection.vendor == "postgresql"
    # Each backend's own (the base class has none): how it writes a contains lookup.
    contains = connection.operators["contains"] % "%s"  # type: ignore[attr-defined]
    conditions: list[str] = []
    params: list[Any] = []
    for term in query.terms:
        piece = number_piece(term.needle) if postgresql and term.path is None else None
        if postgresql and term.path is not None:
            conditions.append(f"{LINES_FUNCTION}(text) @> ARRAY[md5(%s)]")
            params.append(term.needle.strip("\n"))
        elif piece is not None:
            conditions.append(f"{NUMBERS_FUNCTION}(text) && %s::text[] AND strpos(text, %s) > 0")
            params += [[piece, NUMBERS_LONG_RUN], term.needle]
        else:
            for needle in term.sql_needles:
                conditions.append(f"text {contains}")
                params.append(f"%{connection.ops.prep_for_like_query(needle)}%")
    table = connection.ops.quote_name(TaskSearchText._meta.db_table)
    return f"SELECT task_pk FROM {table} WHERE {' AND '.join(conditions)}", params


def _matched(base: models.QuerySet, query: SearchQuery, mark: Any, live_pks: list[Any]) -> RawSQL:
    """The condition for the rows the side table matches before ``mark``, or ``live_pks``.

    On PostgreSQL one semi-join, ``pk IN (indexed matches UNION ALL live
    matches) AND (date_done < mark OR pk = ANY(live))``: for counts and
    aggregates, which read every match anyway (a page reads in two steps).
    """
    connection = connections[base.db]
    pk = _column(base.model, "pk", connection)
    done = _column(base.model, "date_done", connection)
    side_sql, params = _indexed_sql(query, connection)
    if connection.vendor == "postgresql":
        sql = (
            f"{pk} IN ({side_sql} UNION ALL SELECT unnest(%s::bigint[])) "
            f"AND ({done} < %s OR {pk} = ANY(%s::bigint[]))"
        )
        params = [*params, live_pks, mark, live_pks]
    else:
        listed = ", ".join(["%s"] * len(live_pks))
        sql = f"({pk} IN ({side_sql}) AND {done} < %s) OR {pk} IN ({listed})"
        params = [*params, mark, *live_pks]
    return RawSQL(sql, params, output_field=models.BooleanField())


def _match_live(live: models.QuerySet, query: SearchQuery) -> list[Any]:
    """Return the keys of the rows of ``live`` that match, masked and matched in Python."""
    limit = api_settings.SEARCH_SCAN_LIMIT
    rows = list(live.order_by().values_list("pk", *COLUMNS)[: limit + 1])
    if len(rows) > limit:
        raise SearchIndexBehind()
    model = live.model
    return [row[0] for row in rows if query.matches(searchable_text(model, row[1:]))]
