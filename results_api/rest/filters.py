"""Filter sets of the results API: the standard filters plus typed filters per extra field.

``get_task_filterset_class(model)`` builds ``f"{Model}FilterSet"`` once per
model from ``TaskResultFilterSet`` (or ``RESULTS_API["TASK_FILTERSET_CLASS"]``)
and the model's introspected fields. Subclass the public base to add filters::

    class MyFilterSet(TaskResultFilterSet):
        failed_today = BooleanFilter(method="filter_failed_today")

A ForeignKey filter compares key values only: it never looks the related row
up, so it cannot reveal whether a row exists outside the caller's scope.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): django-filter: ``FilterSet._meta.form`` (the options its metaclass
builds from ``Meta``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.db import models
from django.db.models.fields.related import RelatedField
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.constants import EMPTY_VALUES
from django_filters.filterset import filterset_factory

from django_celery_results.columns import key_field
from django_celery_results.models.abstract import AbstractGroupResult, AbstractTaskResult
from django_celery_results.setting_caches import forget_when_changed

from ..conf import SETTING_NAME, api_settings
from ..failures import COMPUTED
from ..fields.catalogue import STANDARD_FIELDS, TaskField
from ..fields.rules import field_rules
from ..search.filters import SEARCH_PARAM, SearchFilter
from .live_updates import UpdatedSinceFilter
from .request_values import SafeIntegerField, UtcIsoDateTimeField

__all__ = [
    "ChoiceInFilter",
    "GroupResultFilterSet",
    "IntegerFilter",
    "ResultFilterSet",
    "StrictBooleanFilter",
    "TaskResultFilterSet",
    "UtcIsoDateTimeFilter",
    "get_group_filterset_class",
    "get_task_filterset_class",
    "narrow_filterset",
]


class IntegerFilter(filters.NumberFilter):
    """Filter on a whole number: ``1.5`` or a number past 64 bits is a 400, not a 500."""

    field_class = SafeIntegerField


class UtcIsoDateTimeFilter(filters.IsoDateTimeFilter):
    """Filter on an ISO 8601 date-time, compared in UTC."""

    field_class = UtcIsoDateTimeField


class StrictBooleanField(forms.NullBooleanField):
    """A boolean that rejects anything but true/false/1/0 instead of ignoring it."""

    widget = forms.TextInput
    default_error_messages = {"invalid": _("Enter true or false.")}
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None

    def validate(self, value: Any) -> None:
        pass


class StrictBooleanFilter(filters.BooleanFilter):
    """Filter on a boolean given as true/false (or 1/0)."""

    field_class = StrictBooleanField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class CharInFilter(filters.BaseInFilter, filters.CharFilter):
    """Filter on any of comma-separated strings."""


class ChoiceInFilter(filters.BaseInFilter, filters.ChoiceFilter):
    """Filter on any of comma-separated choices, each one validated."""


def _integer_filter_defaults() -> dict[type[models.Field], dict[str, Any]]:
    return {
        field_class: {"filter_class": IntegerFilter}
        for field_class in filters.FilterSet.FILTER_DEFAULTS
        if issubclass(field_class, (models.IntegerField, models.AutoField))
    }


# The form fields that depend on their filter alone, not on the request or the data (as
# a queryset's choices, the values found in a column, or a project's own ``field`` may).
_FIELDS_OF_THE_FILTER_ALONE = (filters.Filter.field, filters.NumberFilter.field)


class ComputedFilter(filters.CharFilter):
    """Equality with a value the database computes from the result, hidden with the result."""

    def __init__(self, key: str, **kwargs: Any) -> None:
        super().__init__(field_name="result", **kwargs)
        self.key = key

    def filter(self, queryset: models.QuerySet, value: Any) -> models.QuerySet:
        if value in EMPTY_VALUES:
            return queryset
        expression = COMPUTED[self.key][0]()
        return queryset.alias(**{self.key: expression}).filter(**{self.key: value})


class ResultFilterSet(filters.FilterSet):
    """A filter set whose generated filters validate every value and compare keys only."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        **_integer_filter_defaults(),
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        models.DateTimeField: {"filter_class": UtcIsoDateTimeFilter},
    }

    def get_form_class(self) -> type[forms.Form]:
        """Return the form class of these filters: built once per filter set class and language.

        django-filter builds it on every request, with a form field per
        filter, its label made text in the active language. Filter sets with
        a filter whose form field depends on the request or the data (a
        queryset's choices, a column's values, a project's own ``field``), or
        that change their filters per instance, still get theirs each time.
        """
        cls = type(self)
        cacheable = cls.__init__ is ResultFilterSet.__init__ and all(
            type(filter_).field in _FIELDS_OF_THE_FILTER_ALONE for filter_ in self.filters.values()
        )
        if not cacheable:
            return super().get_form_class()
        # Per language: a filter's label is made text in the active language.
        forms_by_language = cls.__dict__.get("_form_classes")
        if forms_by_language is None:
            forms_by_language = cls._form_classes = {}
        language = translation.get_language()
        form_class = forms_by_language.get(language)
        if form_class is None:
            form_class = forms_by_language[language] = super().get_form_class()
        return form_class

    @classmethod
    def filter_for_lookup(
        cls, field: models.Field, lookup_type: str
    ) -> tuple[type[filters.Filter] | None, dict[str, Any]]:
        """Return the filter class and arguments for ``field`` and ``lookup_type``."""
        if isinstance(field, RelatedField):
            # Filter by the key value, typed like the related primary key: no
            # ModelChoiceFilter, whose validation would query the related table.
            return cls.filter_for_lookup(key_field(field), lookup_type)
        if lookup_type == "in" and field.choices:
            return ChoiceInFilter, {"choices": field.choices}
        return super().filter_for_lookup(field, lookup_type)


def standard_filter(field: TaskField, lookup: str) -> filters.Filter:
    """Return the filter of a standard field's lookup: a choice of its values, a date, a text."""
    options: dict[str, Any] = {"field_name": field.column, "lookup_expr": lookup}
    if field.choices:
        choice_class = ChoiceInFilter if lookup == "in" else filters.ChoiceFilter
        return choice_class(choices=field.choices, **options)
    if field.date:
        return UtcIsoDateTimeFilter(**options)
    return (CharInFilter if lookup == "in" else filters.CharFilter)(**options)


def standard_filters() -> dict[str, filters.Filter]:
    """Return the filters of the standard fields, by parameter, as the catalogue lists them."""
    found = {}
    for field in STANDARD_FIELDS:
        for lookup in field.lookups:
            parameter = field.name if lookup == "exact" else f"{field.name}__{lookup}"
            found[parameter] = standard_filter(field, lookup)
    return found


# The standard fields' filters (task_id, ..., date_done__lte), declared from the catalogue;
# django-filter lists a base class's declared filters first.
StandardTaskFilterSet = type("StandardTaskFilterSet", (ResultFilterSet,), standard_filters())


class TaskResultFilterSet(StandardTaskFilterSet):  # type: ignore[misc,valid-type]
    """The standard task filters (docs/api.md, "Filters"); extra fields are added per model."""

    updated_since = UpdatedSinceFilter()
    # Read from the result (hidden with it): the exception type Celery stored.
    exc_type = ComputedFilter("exc_type")
    # ... and its message pattern (``?group_by=exc_pattern`` of the stats).
    exc_pattern = ComputedFilter("exc_pattern")

    # Applied last (see get_task_filterset_class): it matches live only what the others leave.
    search = SearchFilter()


class GroupResultFilterSet(ResultFilterSet):
    """The group filters: by id and by date."""

    group_id = filters.CharFilter()
    date_created__gte = UtcIsoDateTimeFilter(field_name="date_created", lookup_expr="gte")
    date_created__lte = UtcIsoDateTimeFilter(field_name="date_created", lookup_expr="lte")
    date_done__gte = UtcIsoDateTimeFilter(field_name="date_done", lookup_expr="gte")
    date_done__lte = UtcIsoDateTimeFilter(field_name="date_done", lookup_expr="lte")


@functools.cache
def get_task_filterset_class(model: type[AbstractTaskResult]) -> type[TaskResultFilterSet]:
    """Return ``f"{Model}FilterSet"``: the standard filters plus those of each extra field."""
    base = api_settings.TASK_FILTERSET_CLASS
    rules = field_rules(model)
    excluded = rules.excluded
    fields = {name: list(lookups) for name, lookups in rules.filterable.items()}
    filterset = cast("type[TaskResultFilterSet]", filterset_factory(model, base, fields))
    filterset.__doc__ = f"Filter {model._meta.label} task results."
    # A field the project hides is not filterable through the standard filters either.
    kept = {
        name: filter_
        for name, filter_ in filterset.base_filters.items()
        if filter_.field_name not in excluded
    }
    # The search last: the rows it matches live are those every other filter leaves.
    searches = {name: kept.pop(name) for name in [SEARCH_PARAM] if name in kept}
    filterset.base_filters = {**kept, **searches}
    return filterset


@functools.cache
def get_group_filterset_class(model: type[AbstractGroupResult]) -> type[GroupResultFilterSet]:
    """Return ``f"{Model}FilterSet"`` for a group result model."""
    filterset = filterset_factory(model, api_settings.GROUP_FILTERSET_CLASS, fields=[])
    filterset.__doc__ = f"Filter {model._meta.label} group results."
    return cast("type[GroupResultFilterSet]", filterset)


def narrow_filterset(
    filterset_class: type[filters.FilterSet], params: Iterable[str]
) -> type[filters.FilterSet]:
    """Return ``filterset_class`` holding only the filters that ``params`` can set.

    A filter set copies every filter and builds a form field for each on
    every request; a request names few of them, and a filter without a
    value filters nothing. Filters whose widget reads several parameters
    (``name_min``, ``name_max``...) are always kept.
    """
    filters_ = filterset_class.base_filters
    names = _reading_several_params(filterset_class).union(  # type: ignore[arg-type]  # a class is hashable
        name for name in params if name in filters_
    )
    if len(names) == len(filters_):
        return filterset_class
    return _narrowed(filterset_class, names)  # type: ignore[arg-type]  # a class is hashable


@functools.lru_cache(maxsize=256)
def filters_without_params(filterset_class: type[filters.FilterSet]) -> bool:
    """Return whether ``filterset_class`` may filter a request that names none of its filters.

    A filter given no value filters nothing; only a filter set that changes
    how it filters or validates (its own ``__init__``, ``filter_queryset``,
    ``qs``, ``form``, ``is_valid``, ``get_form_class`` or form class) may.
    """
    base = ResultFilterSet if issubclass(filterset_class, ResultFilterSet) else filters.FilterSet
    names = ("__init__", "filter_queryset", "qs", "form", "is_valid", "get_form_class")
    return filterset_class._meta.form is not forms.Form or any(
        getattr(filterset_class, name) is not getattr(base, name) for name in names
    )


@functools.lru_cache(maxsize=256)
def _reading_several_params(filterset_class: type[filters.FilterSet]) -> frozenset[str]:
    """Return the names of the filters whose widget reads several parameters."""
    names = []
    for name, filter_ in filterset_class.base_filters.items():
        widget = filter_.extra.get("widget") or filter_.field_class.widget
        if issubclass(widget if isinstance(widget, type) else type(widget), forms.MultiWidget):
            names.append(name)
    return frozenset(names)


@functools.lru_cache(maxsize=256)
def _narrowed(
    filterset_class: type[filters.FilterSet], names: frozenset[str]
) -> type[filters.FilterSet]:
    narrowed: type[filters.FilterSet] = type(
        filterset_class.__name__,
        (filterset_class,),
        {"__module__": filterset_class.__module__, "__doc__": filterset_class.__doc__},
    )
    narrowed.base_filters = {
        name: filter_ for name, filter_ in filterset_class.base_filters.items() if name in names
    }
    return narrowed


forget_when_changed(
    get_task_filterset_class.cache_clear,
    get_group_filterset_class.cache_clear,
    _narrowed.cache_clear,
    _reading_several_params.cache_clear,
    filters_without_params.cache_clear,
    settings=(SETTING_NAME,),
)
