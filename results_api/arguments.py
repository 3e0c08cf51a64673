"""A stored task's positional and keyword arguments, recovered exactly or refused.

Retry re-sends a task with the arguments its row holds, so they must be
the task's arguments exactly, or nothing: :func:`stored_arguments` raises
``UnusableArguments`` with the reason when they are not stored (no
``result_extended``), stored in a content type the API never decodes
(pickle), or a repr that is not an exact, whole literal (see
:mod:`results_api.reprs`).

One case no check can see: a sender that passed its own ``argsrepr`` or
``kwargsrepr`` (to hide a password, say) stored that text, and a retry
re-sends what it says.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django_celery_results.models.abstract import AbstractTaskResult

from .reprs import NotALiteral, exact_literal
from .serializers import JSON_CONTENT_TYPES

__all__ = ["UnusableArguments", "stored_arguments"]


class UnusableArguments(ValueError):
    """The stored arguments of a task cannot be trusted to be its arguments."""


def _decode(task: AbstractTaskResult, attname: str, label: str) -> Any:
    stored = getattr(task, attname)
    if stored is None:
        raise UnusableArguments(
            f"The task's {label} are not stored (Celery stores them with result_extended)."
        )
    try:
        return json.loads(stored)
    except ValueError:
        raise UnusableArguments(f"The task's stored {label} are not valid JSON.") from None


def _literal(value: Any, label: str) -> Any:
    """Return ``value``, or the literal it is the exact repr of if it is a string."""
    if not isinstance(value, str):
        return value  # stored as JSON (no argsrepr): exact as it is
    try:
        return exact_literal(value)
    except NotALiteral as exc:
        # The message leaves the value out: it may hold what redaction masks.
        raise UnusableArguments(
            f"The task's stored {label} cannot be trusted to be complete: {exc}."
        ) from None


def stored_arguments(task: AbstractTaskResult) -> tuple[Sequence[Any], dict[str, Any]]:
    """Return the ``(args, kwargs)`` a task was sent with; raise ``UnusableArguments`` if unsure.

    ``args`` keeps its type (a tuple, or a list), so the new task's ``argsrepr`` is the old one.
    """
    if task.content_type not in JSON_CONTENT_TYPES:
        raise UnusableArguments(
            f"The task's arguments are stored as {task.content_type!r}, "
            "which the API never decodes; only JSON is."
        )
    args = _literal(_decode(task, "task_args", "positional arguments"), "positional arguments")
    kwargs = _literal(_decode(task, "task_kwargs", "keyword arguments"), "keyword arguments")
    if not isinstance(args, (list, tuple)):
        raise UnusableArguments("The task's stored positional arguments are not a sequence.")
    if not isinstance(kwargs, dict) or not all(isinstance(key, str) for key in kwargs):
        raise UnusableArguments("The task's stored keyword arguments are not a mapping by name.")
    return args, kwargs
