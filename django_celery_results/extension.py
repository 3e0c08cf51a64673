"""Call the extend-task-props callback and keep only what the model can store.

Whatever the callback does (raise, return a non-dict, name unknown fields,
give values of the wrong type), the task's own result is still stored: the
bad part is dropped and one error naming the task id is logged.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): Django: ``Options.concrete_fields``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models

from .columns import key_field
from .conf import EXTEND_TASK_PROPS_CALLBACK, get_extend_task_props_callback

logger = logging.getLogger(__name__)

# Columns that identify the row or are set by the store itself.
MANAGED_BY_STORE = frozenset({"task_id", "date_created", "date_done"})


@functools.lru_cache(maxsize=64)
def storable_fields(model: type[models.Model]) -> dict[str, models.Field]:
    """Map each field name and attname the callback may set to its field."""
    fields = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in MANAGED_BY_STORE:
            continue
        fields[field.name] = field
        fields[field.attname] = field
    return fields


def clean_value(field: models.Field, value: Any) -> Any:
    """Return ``value`` converted for ``field``; raise ValidationError if it cannot be stored.

    A callback gives the same few values again and again (a tenant's id), so
    the answer for a hashable value is remembered per model, field and
    value; refusals are not.
    """
    try:
        return _clean_hashable(field.model, field.attname, value)
    except TypeError as exc:
        if _unhashable(value):
            return _clean(field, value)
        raise exc


def _unhashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return True
    return False


# Keyed by the model class and the attname, whose hashes cost nothing, not by the
# field, whose __hash__ is Python code.
@functools.lru_cache(maxsize=4096, typed=True)
def _clean_hashable(model: type[models.Model], attname: str, value: Any) -> Any:
    return _clean(storable_fields(model)[attname], value)


def _clean(field: models.Field, value: Any) -> Any:
    """Judge ``value`` as ``Field.clean`` does: convert, then null, blank, choices, validators.

    Two differences, both to keep the write path free of queries and the
    documented callbacks working: a foreign key's row is not looked up (the
    database refuses a missing one, and only that value is dropped), and
    ``None`` is judged by ``null`` alone (``blank`` is a form's rule).
    """
    # A concrete field that is a relation is a foreign key: its column holds the target's value.
    target = key_field(field)
    if isinstance(value, models.Model) and target is not field:
        value = getattr(value, target.attname)
    if value is not None:
        value = target.to_python(value)
    if value is None:
        if not field.null:
            raise ValidationError(field.error_messages["null"], code="null")
        return None
    if target is not field:
        models.Field.validate(field, value, None)  # ForeignKey.validate would query the row
        target.run_validators(value)
    else:
        field.validate(value, None)
    field.run_validators(value)
    return value


def extend_task_properties(
    model: type[models.Model], request: Any, task_properties: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the callback's values for ``model`` as attname -> value (empty if none).

    The callback receives a copy of ``task_properties``, so it cannot alter
    the standard values.
    """
    task_id = task_properties.get("task_id")
    try:
        callback = get_extend_task_props_callback()
    except ImproperlyConfigured as exc:
        logger.error("Task %s stored without extended properties: %s", task_id, exc)
        return {}
    if callback is None:
        return {}
    try:
        extension = callback(request, dict(task_properties))
    except Exception as exc:
        logger.error(
            "Task %s stored without extended properties: %s raised %r",
            task_id,
            EXTEND_TASK_PROPS_CALLBACK,
            exc,
            exc_info=True,
        )
        return {}
    if not isinstance(extension, Mapping):
        logger.error(
            "Task %s stored without extended properties: %s returned %s, not a dict",
            task_id,
            EXTEND_TASK_PROPS_CALLBACK,
            type(extension).__name__,
        )
        return {}

    fields = storable_fields(model)
    values: dict[str, Any] = {}
    problems = []
    for key, value in extension.items():
        field = fields.get(key)
        if field is None:
            problems.append(f"{key!r} is not a field of {model._meta.label} that it may set")
            continue
        try:
            values[field.attname] = clean_value(field, value)
        except (ValidationError, TypeError, ValueError) as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            problems.append(f"{key!r}: {message}")
    if problems:
        logger.error(
            "Task %s stored without part of its extended properties: %s",
            task_id,
            "; ".join(problems),
        )
    return values
