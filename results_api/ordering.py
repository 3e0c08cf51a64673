"""Ordering of the results API: ``?ordering=`` over any scalar field, with a stable tie-break.

``?ordering=-date_done,task_name`` is validated against the view's
``ordering_fields`` (an unknown field is a 400 naming ``ordering``), and the
primary key is always appended, so that every row has a unique position:
the keyset cursor of :mod:`results_api.pagination` depends on it.

NULL sorts as the largest value on every database (PostgreSQL's own
default, so its indexes serve the query as they are).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from django_celery_results.models.abstract import AbstractTaskResult

from .introspection import concrete_field, field_rules

PRIMARY_KEY = "pk"


@dataclass(frozen=True)
class OrderTerm:
    """One key of an ordering: a model field and its direction."""

    field: models.Field
    descending: bool

    def order_by(self, reverse: bool = False) -> OrderBy:
        """Return the ORDER BY expression, in the opposite direction if ``reverse``."""
        column = F(self.field.attname)
        descending = self.descending != reverse
        if not self.field.null:
            return column.desc() if descending else column.asc()
        return column.desc(nulls_first=True) if descending else column.asc(nulls_last=True)

    def equal(self, value: Any) -> Q:
        """Return the condition for rows whose key equals ``value``."""
        if value is None:
            return Q(**{f"{self.field.attname}__isnull": True})
        return Q(**{self.field.attname: value})

    def after(self, value: Any, reverse: bool = False) -> Q | None:
        """Return the condition for rows strictly after ``value``; None if none can be."""
        name = self.field.attname
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
        field = model._meta.pk if name == PRIMARY_KEY else concrete_field(model, name)
        terms.append(OrderTerm(field=field, descending=item.startswith("-")))
    return tuple(terms)


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
        condition &= Q(**{f"{leading.field.attname}__{bound}": value})
    return condition


def task_ordering_fields(model: type[AbstractTaskResult]) -> tuple[str, ...]:
    """Return the fields ``?ordering=`` accepts for a task result model (its rules' orderable)."""
    return field_rules(model).orderable


class ResultOrderingFilter(OrderingFilter):
    """Order by ``?ordering=`` (validated) or the view's default, then by primary key."""

    def remove_invalid_fields(
        self, queryset: models.QuerySet, fields: Iterable[str], view: Any, request: Request
    ) -> list[str]:
        """Return ``fields`` without repeats; raise a 400 naming the parameter on an unknown one."""
        fields = list(fields)
        valid = [item[0] for item in self.get_valid_fields(queryset, view, {"request": request})]
        invalid = [term for term in fields if term.removeprefix("-") not in valid]
        if invalid:
            raise ValidationError(
                {
                    self.ordering_param: [
                        _("Unknown ordering field(s): %(invalid)s. Choose from: %(valid)s.")
                        % {"invalid": ", ".join(invalid), "valid": ", ".join(valid)}
                    ]
                }
            )
        seen: set[str] = set()
        unique = []
        for term in fields:
            if term.removeprefix("-") not in seen:
                seen.add(term.removeprefix("-"))
                unique.append(term)
        return unique

    def get_ordering(self, request: Request, queryset: models.QuerySet, view: Any) -> list[str]:
        """Return the requested (or default) ordering with the primary key as tie-break."""
        ordering = list(super().get_ordering(request, queryset, view) or ())
        if PRIMARY_KEY not in {term.removeprefix("-") for term in ordering}:
            descending = bool(ordering) and ordering[0].startswith("-")
            ordering.append(f"-{PRIMARY_KEY}" if descending else PRIMARY_KEY)
        return ordering

    def filter_queryset(
        self, request: Request, queryset: models.QuerySet, view: Any
    ) -> models.QuerySet:
        """Return ``queryset`` in the requested order."""
        terms = order_terms(queryset.model, self.get_ordering(request, queryset, view))
        return queryset.order_by(*(term.order_by() for term in terms))
