"""Serializers that prepare their fields once, so that a page costs only its rows' values.

A ``ModelSerializer`` introspects the model on every instantiation, deep-copies
every field for every serializer, and for every row and field calls
``get_attribute`` and ``to_representation`` through several layers. The
results API serves pages of fifty rows on every dashboard poll, so
:class:`PreparedFieldsMixin` keeps the first build on the class, gives
each serializer cheap copies, and decides once per serializer how each
field is read from a row and represented: a model column is one attribute
read, a foreign key its ``<name>_id`` column, text and numbers as stored,
date-times formatted directly. Any other field (a custom one, a method
field, a dotted source) goes through DRF as usual.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): DRF: ``Serializer._readable_fields``.
"""

from __future__ import annotations

import copy
import datetime
import operator
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings as drf_settings

from django_celery_results.columns import concrete_field

__all__ = ["PreparedFieldsMixin", "pin_time_zone", "read_source"]

Reader = Callable[[Any], Any]
# How a read value is shown; None: as it is.
Representer = Callable[[Any], Any] | None

# Model fields (these classes exactly: a subclass may read another type from the database)
# whose values the database driver returns as DRF shows them.
_AS_STORED: dict[type[serializers.Field], frozenset[type[models.Field]]] = {
    serializers.CharField: frozenset({models.CharField, models.TextField}),
    serializers.IntegerField: frozenset(
        {
            models.IntegerField,
            models.BigIntegerField,
            models.SmallIntegerField,
            models.PositiveIntegerField,
            models.PositiveBigIntegerField,
            models.PositiveSmallIntegerField,
        }
    ),
    serializers.BooleanField: frozenset({models.BooleanField}),
}
# Where the field classes come from whose copies may share their attributes: DRF's own
# and ours. A project's field may hold state of its own; it is copied deep.
_LEAF_MODULES = (
    "rest_framework.fields",
    "rest_framework.relations",
    "results_api.rest.serializers",
)


def read_source(field: serializers.Field, instance: Any) -> Any:
    """Read ``field``'s source from a row: one attribute directly, a dotted path as DRF does."""
    if len(field.source_attrs) == 1:
        return getattr(instance, field.source_attrs[0])
    return serializers.Field.get_attribute(field, instance)


def pin_time_zone(fields: Iterable[serializers.Field]) -> None:
    """Give date-time fields the current time zone, looked up once instead of per value.

    Pinned when the fields are built, inside the view: an export streams its
    rows after the view has returned, once middleware may have restored
    another time zone.
    """
    for field in fields:
        if isinstance(field, serializers.DateTimeField) and not hasattr(field, "timezone"):
            # None without USE_TZ, which DRF's field accepts (its stubs say tzinfo).
            field.timezone = field.default_timezone()  # type: ignore[assignment]


def _needs_deep_copy(field: serializers.Field) -> bool:
    """Whether copies of ``field`` need their own attributes, not the template's.

    A field holding another (a list's child, a nested serializer's fields)
    does, and so does any field not of DRF or of this package.
    """
    if type(field).__module__ not in _LEAF_MODULES:
        return True
    return any(isinstance(value, serializers.Field) for value in vars(field).values())


def _shallow_copy(field: serializers.Field) -> serializers.Field:
    """Return a copy of a template field that holds no other field: its attributes, unbound."""
    clone = field.__class__.__new__(field.__class__)
    clone.__dict__.update(field.__dict__)
    return clone


# How a field is read and shown: a column as stored, a date-time, a related field, or by DRF.
AS_STORED, DATE_TIME, RELATED, GENERAL = "as stored", "date-time", "related", "general"


def _plan(field: serializers.Field, model: type[models.Model]) -> tuple[str, Reader | None]:
    """Return how ``field`` (bound) is shown, and the attribute read of its column if it has one."""
    model_field = _model_field(field, model)
    if model_field is not None:
        column = operator.attrgetter(model_field.attname)
        if model_field.is_relation:
            if type(field) is serializers.PrimaryKeyRelatedField and field.pk_field is None:
                return AS_STORED, column  # the key, without the related row
        else:
            stored_as = _AS_STORED.get(type(field), frozenset())
            if type(model_field) in stored_as and not model_field.choices:
                return AS_STORED, column
            if type(field) is serializers.DateTimeField:
                return DATE_TIME, column
            if type(field).get_attribute is serializers.Field.get_attribute:
                return GENERAL, column
    if isinstance(field, serializers.RelatedField):
        return RELATED, None
    return GENERAL, None


def _model_field(field: serializers.Field, model: type[models.Model]) -> models.Field | None:
    """Return the model field ``field`` reads by a plain attribute read, if it does."""
    if type(field).get_attribute not in (
        serializers.Field.get_attribute,
        serializers.RelatedField.get_attribute,
    ):
        return None
    if len(field.source_attrs) != 1:
        return None
    try:
        return concrete_field(model, field.source_attrs[0])
    except FieldDoesNotExist:  # a property, a method, or a relation with no column here
        return None


def _iso_datetime(field: serializers.DateTimeField) -> Representer:
    """Return DRF's ISO 8601 form of an aware date-time in the field's time zone, done directly."""
    output_format = getattr(field, "format", drf_settings.DATETIME_FORMAT)
    zone = getattr(field, "timezone", None)
    if not isinstance(output_format, str) or output_format.lower() != ISO_8601 or zone is None:
        return field.to_representation
    general = field.to_representation

    def represent(value: Any) -> Any:
        if type(value) is not datetime.datetime or value.tzinfo is None:
            return general(value)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return represent


def _related(field: serializers.RelatedField) -> Representer:
    """Return how a related field shows a value: an unset key (a PKOnlyObject of None) as None."""

    def represent(value: Any) -> Any:
        if isinstance(value, PKOnlyObject) and value.pk is None:
            return None
        return field.to_representation(value)

    return represent


if TYPE_CHECKING:
    _SerializerBase = serializers.ModelSerializer
else:
    _SerializerBase = object


class PreparedFieldsMixin(_SerializerBase):
    """Prepare a serializer's fields once, so that each row costs only its values."""

    # Per class: the fields as first built, those copied deep, and each kind of field's plan
    # (by name, class, source and key field: a subclass may give a name another field).
    _field_template: ClassVar[dict[str, serializers.Field]]
    _copied_deep: ClassVar[frozenset[str]]
    _plans: ClassVar[dict[tuple[Any, ...], tuple[str, Reader | None]]]
    _readable: list[tuple[str, Reader, Representer]]

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        template = cls.__dict__.get("_field_template")
        if template is None:
            template = super().get_fields()
            cls._copied_deep = frozenset(
                name for name, field in template.items() if _needs_deep_copy(field)
            )
            cls._field_template = template
        deep = cls._copied_deep
        fields = {
            name: copy.deepcopy(field) if name in deep else _shallow_copy(field)
            for name, field in template.items()
        }
        pin_time_zone(fields.values())
        return fields

    def to_representation(self, instance: Any) -> dict[str, Any]:
        readable = self.__dict__.get("_readable")
        if readable is None:
            readable = self._readable = self._prepare()
        representation: dict[str, Any] = {}
        for name, read, represent in readable:
            try:
                value = read(instance)
            except SkipField:
                continue
            if value is None or represent is None:
                representation[name] = value
            else:
                representation[name] = represent(value)
        return representation

    def _prepare(self) -> list[tuple[str, Reader, Representer]]:
        """Return each readable field's name, reader and representer (bound to this serializer)."""
        cls = type(self)
        plans = cls.__dict__.get("_plans")
        if plans is None:
            plans = cls._plans = {}
        prepared: list[tuple[str, Reader, Representer]] = []
        for field in self._readable_fields:
            name = cast(str, field.field_name)
            key = (name, type(field), field.source, getattr(field, "pk_field", None) is None)
            plan = plans.get(key)
            if plan is None:
                plan = plans[key] = _plan(field, cast("type[models.Model]", self.Meta.model))
            kind, column = plan
            read = column or field.get_attribute
            if kind == AS_STORED:
                prepared.append((name, read, None))
            elif kind == DATE_TIME:
                prepared.append((name, read, _iso_datetime(cast(serializers.DateTimeField, field))))
            elif kind == RELATED:
                prepared.append((name, read, _related(cast(serializers.RelatedField, field))))
            else:
                prepared.append((name, read, field.to_representation))
        return prepared
