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

__all__ = ["PreparedFieldsMixin", "pin_time_zone", "read_source"]

Reader = Callable[[Any], Any]
# How a read value is shown; None: as it is.
Representer = Callable[[Any], Any] | None

# Model fields whose values the database driver already returns as DRF shows them.
_AS_STORED = {
    serializers.CharField: (models.CharField, models.TextField),
    serializers.IntegerField: (models.IntegerField,),
    serializers.BooleanField: (models.BooleanField,),
}


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


def _fresh_copy(field: serializers.Field) -> serializers.Field:
    """Return an unbound copy of a template field: shallow when it holds no other field."""
    if any(isinstance(value, serializers.Field) for value in vars(field).values()):
        return copy.deepcopy(field)  # a list's child, a nested serializer: bound to their parent
    clone = field.__class__.__new__(field.__class__)
    clone.__dict__.update(field.__dict__)
    return clone


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
        model_field = model._meta.get_field(field.source_attrs[0])
    except FieldDoesNotExist:  # a property or a method
        return None
    return model_field if isinstance(model_field, models.Field) and model_field.concrete else None


def _reader(field: serializers.Field, model_field: models.Field | None) -> Reader:
    """Return how to read ``field``'s value from a row."""
    if model_field is None:
        return field.get_attribute
    if model_field.is_relation:
        if type(field) is serializers.PrimaryKeyRelatedField and field.pk_field is None:
            return operator.attrgetter(model_field.attname)  # the key, without the related row
        return field.get_attribute
    return operator.attrgetter(model_field.attname)


def _representer(
    field: serializers.Field, model_field: models.Field | None, reader: Reader
) -> Representer:
    """Return how ``field`` shows a read value that is not None."""
    if model_field is not None and reader is not field.get_attribute:
        if model_field.is_relation:
            return None  # the key as stored
        stored_as = _AS_STORED.get(type(field))
        if stored_as and isinstance(model_field, stored_as) and not model_field.choices:
            return None
    if type(field) is serializers.DateTimeField:
        return _iso_datetime(field)
    if isinstance(field, serializers.RelatedField):
        return _related(field)
    return field.to_representation


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

    _field_template: ClassVar[dict[str, serializers.Field]]
    _readable: list[tuple[str, Reader, Representer]]

    def get_fields(self) -> dict[str, serializers.Field]:
        template = type(self).__dict__.get("_field_template")
        if template is None:
            template = super().get_fields()
            type(self)._field_template = template
        fields = {name: _fresh_copy(field) for name, field in template.items()}
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
        """Return each readable field's name, reader and representer."""
        model = cast("type[models.Model]", self.Meta.model)
        prepared = []
        for field in self._readable_fields:
            model_field = _model_field(field, model)
            read = _reader(field, model_field)
            represent = _representer(field, model_field, read)
            prepared.append((cast(str, field.field_name), read, represent))
        return prepared
