"""Narrow a task queryset to the rows a search matches: indexed rows by SQL, the rest live.

A row whose ``date_done`` is before the side table's ``indexed_until`` is
matched by its stored text (``LIKE '%term%'`` on the lower-case text; on
PostgreSQL the trigram index serves it). Every other row (changed since the
last fill, or all rows while the table is empty or was built with other
rules) is read, masked and matched here in Python with the same text
builder, after every other filter and the scope, so an answer is never
stale. That live part is bounded by ``SEARCH_SCAN_LIMIT``: past it the
request is a 503 that says to run ``index_task_search``.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, models
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException

from django_celery_results.columns import column, concrete_field

from ..conf import api_settings
from .database import LINES_FUNCTION
from .index import current_mark
from .models import TaskSearchText
from .syntax import SearchQuery
from .text import COLUMNS, searchable_text

__all__ = ["SearchIndexBehind", "search_queryset"]


class SearchIndexBehind(APIException):
    """More rows than ``SEARCH_SCAN_LIMIT`` are not indexed yet: the search cannot answer now."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _(
        "The search index is behind: more task results than SEARCH_SCAN_LIMIT are not indexed "
        "yet. Run manage.py index_task_search (or its periodic task), or narrow the filters."
    )
    default_code = "search_index_behind"


def search_queryset(queryset: models.QuerySet, query: SearchQuery) -> models.QuerySet:
    """Return ``queryset`` narrowed to the rows that match every term of ``query``."""
    model = queryset.model
    using = queryset.db
    mark = current_mark(model, using)
    live = queryset
    if mark is not None:
        live = queryset.filter(models.Q(date_done__gte=mark) | models.Q(date_done__isnull=True))
    live_pks = _match_live(live, query)
    if mark is None:
        return queryset.filter(pk__in=live_pks)
    indexed = _indexed_matches(query, connections[using].vendor == "postgresql", using)
    indexed_pks = indexed.values("task_pk")
    condition = models.Q(pk__in=indexed_pks, date_done__lt=mark)
    if not live_pks:
        return queryset.filter(condition)
    if connections[using].vendor == "postgresql":
        return queryset.filter(_union_condition(model, indexed_pks, mark, live_pks, using))
    return queryset.filter(condition | models.Q(pk__in=live_pks))


def _indexed_matches(query: SearchQuery, postgresql: bool, using: str) -> models.QuerySet:
    """Return the side table's rows whose text matches every term of ``query``.

    On PostgreSQL a key-targeted term is a whole line, found through the
    index of the lines' hashes; every other term is a ``LIKE`` the trigram
    index serves.
    """
    indexed = TaskSearchText.objects.using(using).all()
    for term in query.terms:
        if postgresql and term.path is not None:
            line = term.needle.strip("\n")
            indexed = indexed.filter(
                RawSQL(
                    f"{LINES_FUNCTION}(text) @> ARRAY[md5(%s)]",
                    [line],
                    output_field=models.BooleanField(),
                )
            )
        else:
            for needle in term.sql_needles:
                indexed = indexed.filter(text__contains=needle)
    return indexed


def _match_live(live: models.QuerySet, query: SearchQuery) -> list[Any]:
    """Return the keys of the rows of ``live`` that match, masked and matched in Python."""
    limit = api_settings.SEARCH_SCAN_LIMIT
    rows = list(live.order_by().values_list("pk", *COLUMNS)[: limit + 1])
    if len(rows) > limit:
        raise SearchIndexBehind()
    model = live.model
    return [row[0] for row in rows if query.matches(searchable_text(model, row[1:]))]


def _union_condition(
    model: type[models.Model],
    indexed_pks: models.QuerySet,
    mark: Any,
    live_pks: list[Any],
    using: str,
) -> RawSQL:
    """The condition as one semi-join on PostgreSQL: an OR of two ``IN``s would hash every match.

    ``pk IN (indexed matches UNION ALL live matches) AND (date_done < mark OR pk = ANY(live))``.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = f"{table}.{quote(model._meta.pk.column)}"
    done = f"{table}.{quote(column(concrete_field(model, 'date_done')))}"
    side_sql, side_params = indexed_pks.query.get_compiler(using=using).as_sql()
    sql = (
        f"{pk} IN ({side_sql} UNION ALL SELECT unnest(%s::bigint[])) "
        f"AND ({done} < %s OR {pk} = ANY(%s::bigint[]))"
    )
    return RawSQL(sql, [*side_params, live_pks, mark, live_pks], output_field=models.BooleanField())
