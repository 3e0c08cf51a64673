"""Revoke and retry: POST actions on one task, each off until ``RESULTS_API`` turns it on.

    RESULTS_API = {"REVOKE_ENABLED": True, "RETRY_ENABLED": True}

    POST tasks/<task_id>/revoke/  {"terminate": true}
        -> 202 {"task_id": "<task_id>", "terminate": true}
    POST tasks/<task_id>/retry/
        -> 202 {"task_id": "<new id>", "retry_of": "<task_id>"}

An action that is off answers 404 to everyone, as if it did not exist. One
that is on takes the read ``PERMISSION_CLASSES`` and then its own
(``REVOKE_PERMISSION_CLASSES``, ``RETRY_PERMISSION_CLASSES``; ``IsAdminUser``
by default), and finds the task through the ``CELERY_RESULTS_SCOPE_QUERYSET`` hook, so a
task outside the caller's scope is a 404 here too.

Retry re-sends the task by name, with the arguments its row holds (see
:mod:`results_api.content.arguments`; a 409 when they cannot be trusted), through
the app's default routing, to a finished task only (SUCCESS, FAILURE,
REVOKED). The new task carries the header ``retry_of`` (the old id), which
the worker exposes as ``task.request.retry_of`` and an extend-task-props
callback may store.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): Celery (not a Django library, named for completeness):
``current_app._get_current_object()``.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, current_app, states, uuid
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import EncodeError, OperationalError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import BasePermission

from django_celery_results.models.abstract import AbstractTaskResult

from ..conf import api_settings
from ..content.arguments import UnusableArguments, stored_arguments

__all__ = [
    "ACTIONS",
    "RETRY_OF_HEADER",
    "BrokerUnavailable",
    "Conflict",
    "RetriedSerializer",
    "RevokeSerializer",
    "RevokedSerializer",
    "Unretryable",
    "action_enabled",
    "action_permissions",
    "get_celery_app",
    "retry_arguments",
    "retry_task",
    "revoke_task",
    "send_retry",
]

# Each action, with the settings that turn it on and guard it.
ACTIONS: dict[str, tuple[str, str]] = {
    "revoke": ("REVOKE_ENABLED", "REVOKE_PERMISSION_CLASSES"),
    "retry": ("RETRY_ENABLED", "RETRY_PERMISSION_CLASSES"),
}
RETRY_OF_HEADER = "retry_of"
RETRYABLE_STATES = frozenset(states.READY_STATES)


class Conflict(APIException):
    """The task's state or stored content does not allow the action."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The task cannot be acted on in its current state.")
    default_code = "conflict"


class BrokerUnavailable(APIException):
    """The message broker could not be reached or refused the message."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The message broker could not be reached; try again later.")
    default_code = "broker_unavailable"


class RevokeSerializer(serializers.Serializer):
    """The body of a revoke."""

    terminate = serializers.BooleanField(
        default=False,
        help_text="Also terminate the task if a worker is running it (SIGTERM to its process).",
    )


class RevokedSerializer(serializers.Serializer):
    """The answer to a revoke: sent to the workers, which mark the task REVOKED."""

    task_id = serializers.CharField()
    terminate = serializers.BooleanField()


class RetriedSerializer(serializers.Serializer):
    """The answer to a retry: the new task, linked to the one it retries."""

    task_id = serializers.CharField(help_text="The id of the new task.")
    retry_of = serializers.CharField(help_text="The id of the task it retries.")


def action_enabled(action: str) -> bool:
    """Return whether the project turned ``action`` on."""
    return bool(getattr(api_settings, ACTIONS[action][0]))


def action_permissions(action: str) -> list[BasePermission]:
    """Return instances of the permission classes guarding ``action``."""
    return [permission() for permission in getattr(api_settings, ACTIONS[action][1])]


def get_celery_app() -> Celery:
    """Return ``RESULTS_API["CELERY_APP"]``, or the current Celery app."""
    return api_settings.CELERY_APP or current_app._get_current_object()


def revoke_task(task: AbstractTaskResult, terminate: bool = False) -> dict[str, Any]:
    """Ask the workers to revoke ``task`` (and terminate it if running); return the answer."""
    try:
        get_celery_app().control.revoke(task.task_id, terminate=terminate)
    except OperationalError as exc:
        raise BrokerUnavailable(_("The message broker could not be reached: %s") % exc) from exc
    return {"task_id": task.task_id, "terminate": terminate}


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


def retry_task(task: AbstractTaskResult) -> dict[str, Any]:
    """Send ``task`` again with its stored arguments; return the new id and the old one."""
    try:
        arguments = retry_arguments(task)
    except Unretryable as exc:
        raise Conflict(str(exc)) from exc
    new_id = uuid()
    try:
        send_retry(get_celery_app(), task, arguments, new_id)
    except EncodeError as exc:
        raise Conflict(
            _("The stored arguments cannot be encoded for the broker: %s") % exc
        ) from exc
    except OperationalError as exc:
        raise BrokerUnavailable(_("The message broker could not be reached: %s") % exc) from exc
    return {"task_id": new_id, RETRY_OF_HEADER: task.task_id}
