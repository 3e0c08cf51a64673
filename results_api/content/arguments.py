"""A stored task's positional and keyword arguments, recovered exactly or refused.

Retry re-sends a task with the arguments its row holds, so they must be
the task's arguments exactly, or nothing: :func:`stored_arguments` raises
``UnusableArguments`` with the reason when they are not stored (no
``result_extended``), stored in a content type the API never decodes
(pickle), or a repr that is not an exact, whole literal (see
:mod:`django_celery_results.reprs`; the JSON is decoded by
:func:`django_celery_results.content.decode_exact`, NaN kept).

One case no check can see: a sender that passed its own ``argsrepr`` or
``kwargsrepr`` (to hide a password, say) stored that text, and a retry
re-sends what it says.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from django_celery_results.content import JSON_CONTENT_TYPES, Undecodable, decode_exact
from django_celery_results.models.abstract import AbstractTaskResult
from django_celery_results.reprs import NotALiteral, exact_literal

__all__ = ["UnusableArguments", "stored_arguments"]


class UnusableArguments(ValueError):
    """The stored arguments of a task cannot be trusted to be its arguments."""


POSITIONAL = gettext_lazy("positional arguments")
KEYWORD = gettext_lazy("keyword arguments")


def _decode(task: AbstractTaskResult, attname: str, label: Any) -> Any:
    stored = getattr(task, attname)
    if stored is None:
        raise UnusableArguments(
            _("The task's %(label)s are not stored (Celery stores them with result_extended).")
            % {"label": label}
        )
    try:
        # Exactly as stored (NaN stays NaN); content too deep to re-send as stored is refused.
        return decode_exact(stored)
    except Undecodable:
        raise UnusableArguments(
            _("The task's stored %(label)s are not valid JSON.") % {"label": label}
        ) from None


def _literal(value: Any, label: Any) -> Any:
    """Return ``value``, or the literal it is the exact repr of if it is a string."""
    if not isinstance(value, str):
        return value  # stored as JSON (no argsrepr): exact as it is
    try:
        return exact_literal(value)
    except NotALiteral as exc:
        # The message leaves the value out: it may hold what redaction masks.
        raise UnusableArguments(
            _("The task's stored %(label)s cannot be trusted to be complete: %(reason)s.")
            % {"label": label, "reason": exc}
        ) from None


def stored_arguments(task: AbstractTaskResult) -> tuple[Sequence[Any], dict[str, Any]]:
    """Return the ``(args, kwargs)`` a task was sent with; raise ``UnusableArguments`` if unsure.

    ``args`` keeps its type (a tuple, or a list), so the new task's ``argsrepr`` is the old one.
    """
    if task.content_type not in JSON_CONTENT_TYPES:
        raise UnusableArguments(
            _(
                "The task's arguments are stored as %(content_type)r, which the API never "
                "decodes; only JSON is."
            )
            % {"content_type": task.content_type}
        )
    args = _literal(_decode(task, "task_args", POSITIONAL), POSITIONAL)
    kwargs = _literal(_decode(task, "task_kwargs", KEYWORD), KEYWORD)
    if not isinstance(args, (list, tuple)):
        raise UnusableArguments(_("The task's stored positional arguments are not a sequence."))
    if not isinstance(kwargs, dict) or not all(isinstance(key, str) for key in kwargs):
        raise UnusableArguments(_("The task's stored keyword arguments are not a mapping by name."))
    return args, kwargs
