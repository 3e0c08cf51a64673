"""Ordering of the results API: ``?ordering=`` over any scalar field, with a stable tie-break.

``?ordering=-date_done,task_name`` is validated against the view's
``ordering_fields`` (an unknown field is a 400 naming ``ordering``), and the
primary key is always appended, so that every row has a unique position:
the keyset cursor of :mod:`results_api.rest.pagination` (where the ordering's
keys and the condition "after this row" are built) depends on it.

NULL sorts as the largest value on every database (PostgreSQL's own
default, so its indexes serve the query as they are).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from django_celery_results.models.abstract import AbstractTaskResult

from ..fields.rules import field_rules
from .pagination import PRIMARY_KEY, order_terms, ordered


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
        """Return ``queryset`` in the requested order; a single row (a detail) needs none."""
        if getattr(view, "detail", False):
            return queryset
        terms = order_terms(queryset.model, self.get_ordering(request, queryset, view))
        return ordered(queryset, terms)
