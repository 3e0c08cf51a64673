"""Which column a model field stands for and what values it holds: the rules both packages share.

The result store builds its statements from them and the results API its
filters, ordering, stats and rollups, so a task result model's fields read
the same everywhere: a name names a field with a column of its own (never a
reverse relation or a many-to-many), and a foreign key holds the values of
the field it points at.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.fields.related import RelatedField

__all__ = [
    "ARGUMENT_COLUMNS",
    "CONTENT_COLUMNS",
    "DATE_COLUMNS",
    "column",
    "concrete_field",
    "concrete_fields",
    "key_field",
]

# The columns of a task result that hold its arguments as Celery's repr, encoded.
ARGUMENT_COLUMNS = ("task_args", "task_kwargs")
# The columns of a task result that hold stored content, encoded by the task's serializer:
# decoded only when JSON, and masked wherever shown.
CONTENT_COLUMNS = (*ARGUMENT_COLUMNS, "result", "meta")
# The dates of a task result's row.
DATE_COLUMNS = ("date_created", "date_started", "date_done")


def concrete_field(model: type[models.Model], name: str) -> models.Field:
    """Return the field ``name`` (or attname) of ``model``, one with a column of its own."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise FieldDoesNotExist(f"{model._meta.label}.{name} has no column")
    return field


def concrete_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    """Return the fields of ``model`` that have a column of their own, in the table's order."""
    return tuple(model._meta.concrete_fields)


def column(field: models.Field) -> str:
    """Return the column of a field that has one."""
    assert field.column is not None
    return field.column


def key_field(field: models.Field) -> models.Field:
    """Return the field whose values ``field`` holds: a relation's target, else ``field`` itself."""
    return field.target_field if isinstance(field, RelatedField) else field
