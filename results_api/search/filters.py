"""The ``search`` filter of the task filter set, and the matching excerpt the list shows.

The filter set applies it after every other filter, so that the rows
matched live (:mod:`results_api.search.query`) are only those the other
filters and the scope leave.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.db import models
from django_filters import rest_framework as filters

from django_celery_results.models.abstract import AbstractTaskResult

from .query import REQUEST_ATTRIBUTE, search_matches
from .syntax import SearchQuery, SearchSyntaxError, parse
from .text import COLUMNS, excerpt, row_lines, shown_lines

__all__ = ["SEARCH_PARAM", "SearchField", "SearchFilter", "search_excerpt"]

SEARCH_PARAM = "search"
SEARCH_HELP = (
    "Search inside the tasks' content: free terms (3 characters or more) and "
    '"quoted phrases" anywhere in args, kwargs, result, meta (secrets masked; never '
    "the traceback), and key:value for an exact value, as kwargs.order_id:123 or "
    "result.exc_type:ValueError. Every term must match; case is ignored."
)


class SearchField(forms.CharField):
    """A search query, parsed: a 400 naming ``search`` says what is wrong with it."""

    def to_python(self, value: Any) -> SearchQuery | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        if "\x00" in text:
            # No stored text holds one on PostgreSQL, which refuses it in a query.
            raise forms.ValidationError("Null characters are not allowed.", code="null_characters")
        try:
            return parse(text)
        except SearchSyntaxError as exc:
            # As a parameter: a term with a % in it must not be read as a format.
            raise forms.ValidationError(
                "%(message)s", code="invalid", params={"message": str(exc)}
            ) from None


class SearchFilter(filters.CharFilter):
    """Match task rows whose content, as the user would see it, holds every term."""

    field_class = SearchField

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", SEARCH_HELP)
        kwargs.setdefault("label", "Search")
        super().__init__(**kwargs)

    def filter(self, qs: models.QuerySet, value: Any) -> models.QuerySet:
        if not isinstance(value, SearchQuery):
            return qs
        matches = search_matches(qs, value)
        request = getattr(self.parent, "request", None)
        if request is not None:
            # For pages and bulk batches, read in two steps (SearchMatches.first).
            setattr(request, REQUEST_ATTRIBUTE, matches)
        return matches.queryset()


def search_excerpt(
    model: type[AbstractTaskResult], row: Any, item: Mapping[str, Any], query: SearchQuery
) -> str | None:
    """Return the masked line of ``row`` (a model instance) that a term of ``query`` matched.

    Read from ``item``, the row as the answer shows it; from the stored row
    when that shows no matching line (a value the serializer writes otherwise).
    """
    lines = shown_lines(item)
    found = excerpt(lines, query.needles) if lines is not None else None
    if found is None:
        values = [getattr(row, column) for column in COLUMNS]
        found = excerpt(row_lines(model, values), query.needles)
    return found
