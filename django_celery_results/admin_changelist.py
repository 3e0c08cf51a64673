"""The pieces that keep the task result changelist's cost flat at any table size.

Django's defaults scan the whole table on every changelist: ``SELECT
DISTINCT`` for each field's list filter and for the date hierarchy, ``COUNT(*)``
twice, and a ``LIKE '%term%'`` over every searched column. These
replacements read a bounded number of index entries instead; the admin in
``admin.py`` uses them.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): Django: ``Query.where`` (whether a queryset is filtered).
"""

from __future__ import annotations

import functools
from typing import Any, cast

from celery import states
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections, models
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .columns import key_field

# Rows counted at most for a filtered list: past this the list says "more than".
COUNT_LIMIT = 10_000
# Most recent rows whose values a text field's list filter offers.
RECENT_ROWS = 1_000
# Most values a list filter offers: the newest ones seen among those rows.
RECENT_CHOICES = 30
# Collations under which a range of the task id index holds exactly the ids with a prefix.
CODE_POINT_COLLATIONS = frozenset({"c", "posix", "c.utf-8", "c.utf8", "ucs_basic"})


class BoundedCountPaginator(Paginator):
    """A paginator that counts at most ``COUNT_LIMIT`` rows.

    An unfiltered list on PostgreSQL takes the planner's row estimate
    (``pg_class.reltuples``) instead, labelled as an estimate by
    ``count_note``; a filtered list past the limit says "more than".
    """

    count_note: str = ""

    @cached_property
    def count(self) -> int:
        queryset = cast(models.QuerySet, self.object_list)  # the changelist's queryset
        counted = queryset.order_by()[: COUNT_LIMIT + 1].count()
        if counted <= COUNT_LIMIT:
            return counted
        estimate = _unfiltered_estimate(queryset)
        if estimate is not None:
            self.count_note = _(
                "About %(count)s: an estimate from the database's table statistics, not a count."
            ) % {"count": f"{estimate:,}"}
            return max(estimate, counted)
        self.count_note = _("More than %(count)s: the count stops there.") % {
            "count": f"{COUNT_LIMIT:,}"
        }
        return counted


def _unfiltered_estimate(queryset: models.QuerySet) -> int | None:
    """Return PostgreSQL's estimate of the table's rows when ``queryset`` has no filter."""
    connection = connections[queryset.db]
    if queryset.query.where or connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
            [connection.ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    # -1 (or 0 before PostgreSQL 14): never vacuumed or analysed, no estimate.
    if row is None or row[0] <= 0:
        return None
    return int(row[0])


class BoundedChangeList(ChangeList):
    """A changelist that carries the paginator's note on its count to the template."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.count_note = getattr(self.paginator, "count_note", "")


class StatusListFilter(admin.SimpleListFilter):
    """Filter on Celery's states, from a fixed list: no query to draw it."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [(state, state) for state in sorted(states.ALL_STATES)]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        value = self.value()
        return queryset.filter(status=value) if value else queryset


class RecentValuesListFilter(admin.AllValuesFieldListFilter):
    """Offer the newest values among the latest ``RECENT_ROWS`` results, not the whole table's.

    ``SELECT DISTINCT`` over a task name or worker column reads every row;
    the newest rows, read through the ``date_done`` index, hold the values a
    person is looking for. Any value still filters through the URL.
    """

    def __init__(
        self,
        field: models.Field,
        request: HttpRequest,
        params: dict[str, list[str]],
        model: type[models.Model],
        model_admin: admin.ModelAdmin,
        field_path: str,
    ) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        values = set(_recent_values(request, model_admin).get(field_path, ()))
        values = values | set(_selected(self.lookup_val))
        # Django iterates the choices only; its stubs say a queryset.
        self.lookup_choices = sorted(  # type: ignore[assignment]
            value for value in values if value is not None
        )
        self.title = _("%(field)s (recent)") % {"field": self.title}


class RecentRelatedListFilter(admin.RelatedFieldListFilter):
    """Offer the related rows that the latest ``RECENT_ROWS`` results point at (the newest few).

    Django's filter lists every row of the related table (a thousand
    tenants: a thousand links on every page); these are looked up by key.
    """

    def __init__(
        self,
        field: Any,
        request: HttpRequest,
        params: Any,
        model: Any,
        model_admin: admin.ModelAdmin,
        field_path: str,
    ) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = _("%(field)s (recent)") % {"field": self.title}

    def field_choices(
        self, field: Any, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple]:
        keys = set(_recent_values(request, model_admin).get(self.field_path, ()))
        keys.update(_valid_keys(field, _selected(self.lookup_val)))
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, ordering=ordering, limit_choices_to={"pk__in": keys}
        )


RECENT_FILTERS = (RecentValuesListFilter, RecentRelatedListFilter)


def _selected(lookup_value: Any) -> list[str]:
    """Return the values a filter's parameter selects (a string before Django 5.0, a list after)."""
    if not lookup_value:
        return []
    return (
        [lookup_value]
        if isinstance(lookup_value, str)
        else [value for value in lookup_value if value]
    )


def _valid_keys(field: Any, values: list[str]) -> list[Any]:
    """Return the values a related field's keys can be; a hand-typed ``abc`` or 2**70 is left out.

    The changelist itself answers such a parameter with its "incorrect lookup"
    redirect; only the filter's choices would fail on it (a 500).
    """
    target = key_field(field)
    keys = []
    for value in values:
        try:
            key = target.to_python(value)
        except (ValidationError, ValueError, TypeError):
            continue
        if isinstance(key, int) and not -(2**63) <= key < 2**63:
            continue
        keys.append(key)
    return keys


def _recent_values(request: HttpRequest, model_admin: admin.ModelAdmin) -> dict[str, list]:
    """Return the newest ``RECENT_CHOICES`` distinct values of each recent filter's field.

    One query per request, for every such filter.
    """
    cache = request.__dict__.setdefault("_celery_results_recent_values", {})
    key = model_admin.model._meta.label
    if key not in cache:
        names = [
            cast(str, entry[0])
            for entry in model_admin.get_list_filter(request)
            if isinstance(entry, tuple) and entry[1] in RECENT_FILTERS
        ]
        rows = (
            model_admin.get_queryset(request)
            .order_by("-date_done")
            .values_list(*names)[:RECENT_ROWS]
        )
        found: dict[str, dict] = {name: {} for name in names}
        for row in rows:
            for name, value in zip(names, row, strict=True):
                if len(found[name]) < RECENT_CHOICES:
                    found[name].setdefault(value)
        cache[key] = {name: list(values) for name, values in found.items()}
    return cache[key]


def search_by_id_prefix(queryset: models.QuerySet, field: str, term: str) -> models.QuerySet:
    """Return the rows whose ``field`` is ``term`` or starts with it, through its index.

    ``LIKE 'term%'`` uses a B-tree index only under the C collation, so the
    prefix is also given as the range ``term <= field < term + U+FFFF``,
    which the unique index answers, where the column sorts by code point
    (SQLite always; PostgreSQL under C, POSIX or C.UTF-8).
    """
    term = term.strip()
    if not term:
        return queryset
    prefix = models.Q(**{f"{field}__startswith": term})
    if _sorts_by_code_point(queryset.db):
        prefix &= models.Q(**{f"{field}__gte": term, f"{field}__lt": term + "\uffff"})
    return queryset.filter(models.Q(**{field: term}) | prefix)


@functools.cache
def _sorts_by_code_point(alias: str) -> bool:
    connection = connections[alias]
    if connection.vendor == "sqlite":
        return True
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        (collation,) = cursor.fetchone()
    return str(collation).lower() in CODE_POINT_COLLATIONS


def filter_choices_without_scan(field: models.Field) -> Any:
    """Return the list filter of ``field`` that draws its choices without reading the table."""
    if field.name == "status":
        return StatusListFilter
    if field.many_to_one:
        return (field.name, RecentRelatedListFilter)
    if field.choices or isinstance(field, models.BooleanField):
        return field.name  # Django's own: the choices, yes/no
    if isinstance(field, models.DateTimeField | models.DateField):
        return field.name  # Django's date ranges: no query to draw, the index to filter
    return (field.name, RecentValuesListFilter)
