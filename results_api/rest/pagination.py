"""Keyset cursor pagination: a page costs the same on row 10 and on row 10 million.

DRF's ``CursorPagination`` keys on the first ordering field alone, plus an
offset capped at 1,000 rows, and cannot key on a nullable field; ordering by
any field (``?ordering=status``) needs a key over every ordering field. This
class keeps DRF's parameters, links and response shape, and puts the values
of all ordering fields of the page's edge row (ending with the primary key,
see :mod:`results_api.rest.ordering`) in the cursor. Rows that arrive between two
requests are never repeated or lost: each page starts strictly after the last
row that was seen. The keys (``OrderTerm``, ``order_terms``) and the
condition "after this row" (``rows_after``) live here with the cursor;
:mod:`results_api.rest.ordering` validates ``?ordering=`` and orders by the same keys.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): Django: ``Query.order_by``.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import functools
import json
import operator
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import OrderBy
from django.utils.duration import duration_iso_string
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

from django_celery_results.columns import concrete_field

from ..conf import api_settings
from ..fields.durations import DURATIONS
from ..search.query import matches_of
from .request_values import database_safe

PRIMARY_KEY = "pk"


# Orderings by a duration (runtime, wait): the queryset is annotated with it under this name.
DURATION_KEYS = {duration.name: f"ordering_{duration.name}" for duration in DURATIONS}


@dataclass(frozen=True)
class OrderTerm:
    """One key of an ordering: a model field (or a duration annotated as one) and its direction."""

    field: models.Field
    descending: bool
    # The annotation the key is (a duration), None for a column of the model.
    annotation: models.Expression | None = None

    @property
    def name(self) -> str:
        """The name the key has in the queryset: the column's attname, or the annotation's."""
        return self.field.attname

    def order_by(self, reverse: bool = False) -> OrderBy:
        """Return the ORDER BY expression, in the opposite direction if ``reverse``."""
        column = F(self.name)
        descending = self.descending != reverse
        if not self.field.null:
            return column.desc() if descending else column.asc()
        return column.desc(nulls_first=True) if descending else column.asc(nulls_last=True)

    def equal(self, value: Any) -> Q:
        """Return the condition for rows whose key equals ``value``."""
        if value is None:
            return Q(**{f"{self.name}__isnull": True})
        return Q(**{self.name: value})

    def after(self, value: Any, reverse: bool = False) -> Q | None:
        """Return the condition for rows strictly after ``value``; None if none can be."""
        name = self.name
        if self.descending != reverse:
            if value is None:
                return Q(**{f"{name}__isnull": False})
            return Q(**{f"{name}__lt": value})
        if value is None:
            return None
        after = Q(**{f"{name}__gt": value})
        return after | Q(**{f"{name}__isnull": True}) if self.field.null else after


def order_terms(model: type[models.Model], ordering: Sequence[str]) -> tuple[OrderTerm, ...]:
    """Return the terms of ``ordering`` (field names, ``-`` for descending) on ``model``."""
    terms = []
    for item in ordering:
        name = item.removeprefix("-")
        descending = item.startswith("-")
        if name in DURATION_KEYS:
            duration = models.DurationField(null=True)
            duration.set_attributes_from_name(DURATION_KEYS[name])
            expression = next(d for d in DURATIONS if d.name == name).expression()
            terms.append(OrderTerm(field=duration, descending=descending, annotation=expression))
            continue
        field = model._meta.pk if name == PRIMARY_KEY else concrete_field(model, name)
        terms.append(OrderTerm(field=field, descending=descending))
    return tuple(terms)


def ordered(queryset: models.QuerySet, terms: Sequence[OrderTerm], reverse: bool = False) -> Any:
    """Return ``queryset`` ordered by ``terms``, with the durations among them annotated."""
    annotations = {term.name: term.annotation for term in terms if term.annotation is not None}
    if annotations:
        queryset = queryset.annotate(**annotations)
    return queryset.order_by(*(term.order_by(reverse) for term in terms))


def rows_after(terms: Sequence[OrderTerm], values: Sequence[Any], reverse: bool = False) -> Q:
    """Return the condition for rows strictly after the row whose keys are ``values``.

    The row comparison ``(a, b) > (x, y)`` spelled out as
    ``a > x OR (a = x AND b > y)``, plus a bound on the leading key that an
    index on it can serve.
    """
    clauses = []
    equal_so_far = Q()
    for term, value in zip(terms, values, strict=True):
        after = term.after(value, reverse)
        if after is not None:
            clauses.append(equal_so_far & after)
        equal_so_far &= term.equal(value)
    if not clauses:
        return Q(pk__in=[])
    condition = functools.reduce(operator.or_, clauses)
    leading, value = terms[0], values[0]
    if not leading.field.null:
        bound = "lte" if leading.descending != reverse else "gte"
        condition &= Q(**{f"{leading.name}__{bound}": value})
    return condition


def keyset_chunks(queryset: models.QuerySet, chunk_size: int) -> Iterator[models.Model] | None:
    """Yield the rows of ``queryset`` one query of ``chunk_size`` rows at a time, or return None.

    For a driver that cannot stream a result (MySQLdb reads it all into
    memory): each chunk starts strictly after the last row of the previous
    one, by the keys ``queryset`` is ordered by (as the ordering filter
    orders it: by field expressions ending with the primary key). None when
    ``queryset`` is ordered otherwise.
    """
    keys = {key: name for name, key in DURATION_KEYS.items()}
    ordering = []
    for expression in queryset.query.order_by:
        if not isinstance(expression, OrderBy) or not isinstance(expression.expression, F):
            return None
        name = expression.expression.name  # type: ignore[attr-defined]  # F has it; its stub not
        ordering.append(("-" if expression.descending else "") + keys.get(name, name))
    terms = order_terms(queryset.model, ordering)
    if not terms or not terms[-1].field.primary_key:
        return None
    return _chunks(queryset, tuple(terms), chunk_size)


def _chunks(
    queryset: models.QuerySet, terms: tuple[OrderTerm, ...], chunk_size: int
) -> Iterator[models.Model]:
    values: list[Any] | None = None
    while True:
        page = queryset if values is None else queryset.filter(rows_after(terms, values))
        rows = list(page[:chunk_size])
        yield from rows
        if len(rows) < chunk_size:
            return
        values = [getattr(rows[-1], term.name) for term in terms]


def _to_json(value: Any) -> Any:
    """Return ``value`` as JSON text exactly (no rounding of microseconds)."""
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    return value


class KeysetCursorPagination(CursorPagination):
    """Paginate by an opaque cursor holding the ordering keys of the page's edge row."""

    page_size_query_param = "page_size"
    # None: RESULTS_API["PAGE_SIZE"] / ["MAX_PAGE_SIZE"]; a subclass may set numbers.
    page_size = None
    max_page_size = None
    ordering: tuple[str, ...] = ("-date_created",)

    def paginate_queryset(  # type: ignore[override]  # querysets only, never a list
        self, queryset: models.QuerySet, request: Request, view: Any = None
    ) -> list[models.Model]:
        """Return one page of ``queryset`` from the request's cursor."""
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.terms = order_terms(queryset.model, self.ordering)
        reverse, values = self.decode_cursor(request) or (False, None)

        def arrange(rows: models.QuerySet) -> models.QuerySet:
            rows = ordered(rows, self.terms, reverse)
            return rows if values is None else rows.filter(rows_after(self.terms, values, reverse))

        matches = matches_of(request, queryset.model)
        if matches is not None:
            rows = matches.first(arrange, self.page_size + 1)
        else:
            rows = list(arrange(queryset)[: self.page_size + 1])
        has_more = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        if reverse:
            self.page.reverse()
            self.has_previous, self.has_next = has_more, True
        else:
            self.has_previous, self.has_next = values is not None, has_more
        self.display_page_controls = self.has_previous or self.has_next
        return self.page

    def get_page_size(self, request: Request) -> int:
        """Return ``?page_size=``, or the default; a 400 naming it when out of range."""
        default = self.__class__.page_size or api_settings.PAGE_SIZE
        maximum = self.max_page_size or api_settings.MAX_PAGE_SIZE
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return default
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= maximum:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Enter a whole number from 1 to %(maximum)d.") % {"maximum": maximum}
                    ]
                }
            )
        return size

    # Keys and a direction instead of DRF's (offset, reverse, position) Cursor.
    def decode_cursor(self, request: Request) -> tuple[bool, list[Any]] | None:  # type: ignore[override]
        """Return ``(reverse, key values)`` of ``?cursor=``; a 400 naming it when invalid."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(encoded.encode("ascii")))
            if data["o"] != list(self.ordering):
                raise ValueError("the cursor belongs to another ordering")
            if data["r"] not in (0, 1) or not isinstance(data["v"], list):
                raise ValueError("not a cursor this API issues")
            values = [
                self.cursor_value(term, value)
                for term, value in zip(self.terms, data["v"], strict=True)
            ]
            return bool(data["r"]), values
        except (
            binascii.Error,
            DjangoValidationError,
            KeyError,
            OverflowError,
            RecursionError,
            TypeError,
            UnicodeError,
            ValueError,
        ):
            raise ValidationError({self.cursor_query_param: [_("Invalid cursor.")]}) from None

    @staticmethod
    def cursor_value(term: OrderTerm, value: Any) -> Any:
        """Return a cursor's key value for ``term``'s field; ValueError if it cannot be one."""
        if isinstance(value, (dict, list)):
            raise ValueError("a key value is a scalar")
        if value is None:
            if not term.field.null:
                raise ValueError("null key of a field that is never null")
            return None
        return database_safe(term.field.to_python(value))

    def encode_cursor(self, reverse: bool, row: models.Model | None) -> str:  # type: ignore[override]
        """Return the URL of the page that starts after ``row``, in the given direction.

        An empty page (every row past the cursor went away) has no row to
        key on; its links lead back to the first page.
        """
        assert self.base_url is not None  # set by paginate_queryset
        if row is None:
            return remove_query_param(self.base_url, self.cursor_query_param)
        data = {"o": list(self.ordering), "v": self.row_values(row, self.terms), "r": int(reverse)}
        encoded = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
        return replace_query_param(self.base_url, self.cursor_query_param, encoded.decode("ascii"))

    @staticmethod
    def row_values(row: models.Model, terms: Sequence[OrderTerm]) -> list[Any]:
        """Return the ordering keys of ``row`` as JSON values."""
        return [_to_json(getattr(row, term.name)) for term in terms]

    def get_next_link(self) -> str | None:
        """Return the URL of the page after this one, or None on the last page."""
        if not self.has_next:
            return None
        return self.encode_cursor(False, self.page[-1] if self.page else None)

    def get_previous_link(self) -> str | None:
        """Return the URL of the page before this one, or None on the first page."""
        if not self.has_previous:
            return None
        return self.encode_cursor(True, self.page[0] if self.page else None)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """Document ``cursor`` and ``page_size`` with its bounds."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(
                    minimum=1,
                    maximum=self.max_page_size or api_settings.MAX_PAGE_SIZE,
                    default=self.__class__.page_size or api_settings.PAGE_SIZE,
                )
        return parameters
