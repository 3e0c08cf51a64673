"""The answers of the JSON status views, built from stored rows: decoded as JSON only, masked.

A row's content is decoded by :mod:`django_celery_results.content` (never
pickle, never deeper than its ``MAX_DEPTH``) and masked by
:mod:`django_celery_results.masking`. A stored exception is described from
its mapping (``exc_type``, ``exc_module``, ``exc_message``) as text: no
module it names is imported and no class is built from it, whatever a
worker (or anyone with write access to the table) stored there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from celery import states
from celery.utils.saferepr import saferepr
from django.db import models

from .content import Undecodable, decode_json, is_decodable
from .masking import MaskingRules, mask_data

if TYPE_CHECKING:  # the models package defines concrete models: not with the status views' import
    from .models.abstract import AbstractGroupResult, AbstractTaskResult

__all__ = ["NotShown", "describe_exception", "group_children", "stored_result", "task_answer"]

# The longest exception description shown; saferepr cuts longer ones with "...".
MAX_DESCRIPTION = 1024


class NotShown(Exception):
    """A row's stored content is not decoded for display; the message says why."""


def stored_result(row: AbstractTaskResult | AbstractGroupResult) -> Any:
    """Return the decoded result of a task or group row; ``NotShown`` if it is not decoded."""
    if row.result is None:
        return None
    if not is_decodable(row.content_type):
        raise NotShown(
            f"content type {row.content_type!r} is not decoded (only JSON is; "
            "decoding pickle would run code)."
        )
    try:
        return decode_json(row.result)
    except Undecodable as exc:
        raise NotShown(f"the stored text is {exc}.") from None


def describe_exception(value: Any, rules: MaskingRules) -> tuple[str | None, Any]:
    """Return ``(exception class name, description)`` of a stored exception.

    ``value`` is what a failed task's row holds: usually Celery's mapping,
    ``{"exc_type": "ValueError", "exc_module": "builtins", "exc_message": ["boom"]}``,
    described as ``("builtins.ValueError", "ValueError('boom')")``. Anything
    else has no class name; it is shown as stored, masked.
    """
    if not (isinstance(value, dict) and isinstance(value.get("exc_type"), str)):
        return None, mask_data(value, rules)
    exc_type, module = value["exc_type"], value.get("exc_module")
    name = f"{module}.{exc_type}" if isinstance(module, str) and module else exc_type
    message = mask_data(value.get("exc_message", ()), rules)
    arguments = message if isinstance(message, list) else [message]
    text = f"{exc_type}({', '.join(saferepr(argument, maxlevels=3) for argument in arguments)})"
    if len(text) > MAX_DESCRIPTION:
        text = text[: MAX_DESCRIPTION - 3] + "..."
    return name, text


def task_answer(
    task_id: str, row: AbstractTaskResult | None, rules: MaskingRules, show_traceback: bool
) -> dict[str, Any]:
    """Return the ``task`` of a status answer; a task with no row (in scope) is PENDING."""
    if row is None:
        return {"id": task_id, "status": states.PENDING, "result": None}
    result = stored_result(row)
    answer = {"id": task_id, "status": row.status, "result": mask_data(result, rules)}
    if row.status in states.EXCEPTION_STATES:
        exc, description = describe_exception(result, rules)
        answer.update(
            result=description, exc=exc, traceback=row.traceback if show_traceback else None
        )
    return answer


def group_children(group: AbstractGroupResult) -> list[str]:
    """Return the ids of a group row's tasks, in order; ``NotShown`` if it is not decoded.

    Celery stores a group as ``[[group_id, parent], [child, ...]]``, each
    child ``[[task_id, parent], None]`` (or a group of its own, shown by its
    id). Entries of any other shape are left out.
    """
    stored = stored_result(group)
    if not (isinstance(stored, list) and len(stored) == 2 and isinstance(stored[1], list)):
        return []
    return [child_id for child_id in map(_child_id, stored[1]) if child_id is not None]


def _child_id(child: Any) -> str | None:
    if isinstance(child, list) and child and isinstance(child[0], list) and child[0]:
        child_id = child[0][0]
        if isinstance(child_id, str):
            return child_id
    return None


def rows_by_task_id(queryset: models.QuerySet, task_ids: Iterable[str]) -> dict[str, Any]:
    """Return the rows of ``queryset`` for ``task_ids``, by task id, in one query."""
    return {row.task_id: row for row in queryset.filter(task_id__in=set(task_ids))}
