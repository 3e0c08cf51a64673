"""The field rules of a task result model: which fields the API shows, filters, orders, groups.

    >>> rules = field_rules(TaskResult)
    >>> rules.extra
    (ExtraField(name='tenant', field=<...ForeignKey: tenant>, kind=<FieldKind.FOREIGN_KEY>), ...)
    >>> rules.orderable, rules.groupable
    (('task_id', ..., 'tenant', 'priority'), ('status', ..., 'tenant'))

One answer per model, with ``EXCLUDE_FIELDS`` applied, read by the filter
set, the serializer, the ordering, the stats and the schema alike, so a
field's kind decides its filters, its ordering and its schema type together,
and a hidden field is hidden everywhere. The standard fields' part comes from
:mod:`results_api.fields.catalogue`; the extra fields' from the model. Built
once; forgotten when ``RESULTS_API`` changes.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext as _

# The column rules live in the result store; importable from here as before.
from django_celery_results.columns import concrete_field as concrete_field
from django_celery_results.columns import key_field as key_field
from django_celery_results.models.abstract import AbstractTaskResult
from django_celery_results.setting_caches import forget_when_changed

from ..conf import SETTING_NAME, api_settings
from .catalogue import COMPUTED_GROUP_BY, GROUP_BY, ORDERED, SHOWN


class FieldKind(str, enum.Enum):
    """How an extra field is filtered (docs/api.md, "Filters")."""

    FOREIGN_KEY = "foreign_key"
    CHAR = "char"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    CHOICES = "choices"
    UNFILTERABLE = "unfilterable"


# Checked in order: the first match wins. Choices are checked before these.
_KIND_BY_FIELD_CLASS: tuple[tuple[type[models.Field], FieldKind], ...] = (
    (models.ForeignKey, FieldKind.FOREIGN_KEY),  # OneToOneField too
    (models.BooleanField, FieldKind.BOOLEAN),
    (models.DateField, FieldKind.DATE),  # DateTimeField too
    (models.IntegerField, FieldKind.NUMBER),  # every integer field
    (models.FloatField, FieldKind.NUMBER),
    (models.DecimalField, FieldKind.NUMBER),
    (models.CharField, FieldKind.CHAR),  # SlugField, EmailField, URLField...
    (models.TextField, FieldKind.CHAR),
    (models.UUIDField, FieldKind.CHAR),
)

# Filter lookups per kind, as docs/api.md ("Filters") lists them; "exact" is the bare name.
LOOKUPS_BY_KIND: dict[FieldKind, tuple[str, ...]] = {
    FieldKind.FOREIGN_KEY: ("exact", "in"),
    FieldKind.CHAR: ("exact", "in", "icontains"),
    FieldKind.NUMBER: ("exact", "in", "gte", "lte"),
    FieldKind.DATE: ("gte", "lte"),
    FieldKind.BOOLEAN: ("exact",),
    FieldKind.CHOICES: ("exact", "in"),
    FieldKind.UNFILTERABLE: (),
}


@dataclass(frozen=True)
class ExtraField:
    """A concrete field that a custom model adds, and how it is filtered."""

    name: str
    field: models.Field
    kind: FieldKind

    @property
    def lookups(self) -> tuple[str, ...]:
        """Return the filter lookups of this field's kind."""
        return LOOKUPS_BY_KIND[self.kind]

    @property
    def orderable(self) -> bool:
        """Return whether ``?ordering=`` accepts this field (scalar kinds only)."""
        return self.kind is not FieldKind.UNFILTERABLE


@dataclass(frozen=True)
class ModelFields:
    """The introspected fields of one task result model."""

    model: type[AbstractTaskResult]
    extra: tuple[ExtraField, ...]

    @property
    def extra_names(self) -> tuple[str, ...]:
        """Return the names of the extra fields, in model order."""
        return tuple(extra.name for extra in self.extra)

    @property
    def api_names(self) -> tuple[str, ...]:
        """Return every field name of the task representation, standard then extra."""
        return (*SHOWN, *self.extra_names)


def field_kind(field: models.Field) -> FieldKind:
    """Return the filter kind of a model field."""
    if field.choices and not field.is_relation:
        return FieldKind.CHOICES
    for field_class, kind in _KIND_BY_FIELD_CLASS:
        if isinstance(field, field_class):
            return kind
    return FieldKind.UNFILTERABLE


@functools.cache
def get_model_fields(model: type[AbstractTaskResult]) -> ModelFields:
    """Return the fields ``model`` adds beyond ``AbstractTaskResult``, with their kinds."""
    extra = tuple(
        ExtraField(name=field.name, field=field, kind=field_kind(field))
        for field in model.extra_fields()
    )
    return ModelFields(model=model, extra=extra)


def get_excluded_names(model: type[AbstractTaskResult]) -> frozenset[str]:
    """Return the API names that ``EXCLUDE_FIELDS`` hides, checked against ``model``."""
    excluded = frozenset(api_settings.EXCLUDE_FIELDS)
    unknown = excluded - set(get_model_fields(model).api_names)
    if unknown:
        raise ImproperlyConfigured(
            _("%(setting)s['EXCLUDE_FIELDS'] names %(unknown)s, which %(model)s does not have.")
            % {"setting": SETTING_NAME, "unknown": sorted(unknown), "model": model._meta.label}
        )
    return excluded


@dataclass(frozen=True)
class FieldRules:
    """Which task fields of one model the API shows, filters, orders and groups by.

    ``EXCLUDE_FIELDS`` is applied: an excluded field is none of these.
    """

    model: type[AbstractTaskResult]
    extra: tuple[ExtraField, ...]
    excluded: frozenset[str]
    visible: tuple[str, ...]
    filterable: dict[str, tuple[str, ...]]
    orderable: tuple[str, ...]
    groupable: tuple[str, ...]

    def is_visible(self, name: str) -> bool:
        """Return whether the API name ``name`` may be shown (not excluded)."""
        return name not in self.excluded


# Extra fields that make sensible groups: not free text, which has a group per row.
GROUPABLE_KINDS = frozenset(
    {FieldKind.FOREIGN_KEY, FieldKind.CHOICES, FieldKind.NUMBER, FieldKind.BOOLEAN, FieldKind.DATE}
)


@functools.cache
def field_rules(model: type[AbstractTaskResult]) -> FieldRules:
    """Return the field rules of ``model``, built once from the model and ``RESULTS_API``.

    Raises ``ImproperlyConfigured`` when ``EXCLUDE_FIELDS`` names a field the
    model does not have (the system check ``results_api.E004`` says so at start).
    """
    fields = get_model_fields(model)
    excluded = get_excluded_names(model)
    extra = fields.extra

    def shown(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(name for name in names if name not in excluded)

    return FieldRules(
        model=model,
        extra=extra,
        excluded=excluded,
        visible=shown(fields.api_names),
        filterable={
            field.name: field.lookups
            for field in extra
            if field.lookups and field.name not in excluded
        },
        orderable=shown((*ORDERED, *(field.name for field in extra if field.orderable))),
        groupable=shown(
            (
                *GROUP_BY,
                *(name for name, source in COMPUTED_GROUP_BY.items() if source not in excluded),
                *(field.name for field in extra if field.kind in GROUPABLE_KINDS),
            )
        ),
    )


forget_when_changed(field_rules.cache_clear, settings=(SETTING_NAME,))
