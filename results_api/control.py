"""Acting on tasks through Celery: the app to use, and what a retry sends.

The single actions (:mod:`results_api.rest.actions`) and the bulk actions
(:mod:`results_api.bulk`) both act through these; each decides for itself
who may act, on which rows, and records what it did.

A retry re-sends the task by name, with the arguments its row holds (see
:mod:`results_api.content.arguments`), through the app's default routing, to
a finished task only (SUCCESS, FAILURE, REVOKED). The new task carries the
header ``retry_of`` (the old id), which the worker exposes as
``task.request.retry_of`` and an extend-task-props callback may store.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): Celery (not a Django library, named for completeness):
``current_app._get_current_object()``.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, current_app, states
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException

from django_celery_results.models.abstract import AbstractTaskResult

from .conf import api_settings
from .content.arguments import UnusableArguments, stored_arguments

__all__ = [
    "RETRYABLE_STATES",
    "RETRY_OF_HEADER",
    "BrokerUnavailable",
    "Unretryable",
    "get_celery_app",
    "retry_arguments",
    "send_retry",
]

RETRY_OF_HEADER = "retry_of"
RETRYABLE_STATES = frozenset(states.READY_STATES)


class BrokerUnavailable(APIException):
    """The message broker could not be reached or refused the message."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The message broker could not be reached; try again later.")
    default_code = "broker_unavailable"


def get_celery_app() -> Celery:
    """Return ``RESULTS_API["CELERY_APP"]``, or the current Celery app."""
    return api_settings.CELERY_APP or current_app._get_current_object()


class Unretryable(ValueError):
    """A task that cannot be sent again: ``code`` says why (for counts), the message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def retry_arguments(task: AbstractTaskResult) -> tuple[Any, dict[str, Any]]:
    """Return the ``(args, kwargs)`` to send ``task`` again with; ``Unretryable`` if none."""
    if task.status not in RETRYABLE_STATES:
        raise Unretryable(
            "unfinished",
            str(_("Only a finished task (%(states)s) can be retried; this one is %(status)s."))
            % {"states": ", ".join(sorted(RETRYABLE_STATES)), "status": task.status},
        )
    if not task.task_name:
        raise Unretryable(
            "no_task_name", str(_("The task's name is not stored, so it cannot be sent again."))
        )
    try:
        return stored_arguments(task)
    except UnusableArguments as exc:
        raise Unretryable("arguments_unusable", str(exc)) from exc


def send_retry(
    app: Celery,
    task: AbstractTaskResult,
    arguments: tuple[Any, dict[str, Any]],
    new_id: str,
    producer: Any = None,
) -> None:
    """Send ``task`` again as ``new_id``, with the header naming the task it retries."""
    args, kwargs = arguments
    options = {"producer": producer} if producer is not None else {}
    app.send_task(
        task.task_name,
        args=args,
        kwargs=kwargs,
        task_id=new_id,
        headers={RETRY_OF_HEADER: task.task_id},
        **options,
    )
