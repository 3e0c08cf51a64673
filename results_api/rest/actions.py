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

Retry re-sends the task with the arguments its row holds, as
:mod:`results_api.control` says (a 409 when they cannot be trusted).
"""

from __future__ import annotations

from typing import Any

from celery import uuid
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import EncodeError, OperationalError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import BasePermission

from django_celery_results.models.abstract import AbstractTaskResult

from ..conf import api_settings
from ..control import (
    RETRY_OF_HEADER,
    BrokerUnavailable,
    Unretryable,
    get_celery_app,
    retry_arguments,
    send_retry,
)

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


class Conflict(APIException):
    """The task's state or stored content does not allow the action."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The task cannot be acted on in its current state.")
    default_code = "conflict"


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


def revoke_task(task: AbstractTaskResult, terminate: bool = False) -> dict[str, Any]:
    """Ask the workers to revoke ``task`` (and terminate it if running); return the answer."""
    try:
        get_celery_app().control.revoke(task.task_id, terminate=terminate)
    except OperationalError as exc:
        raise BrokerUnavailable(_("The message broker could not be reached: %s") % exc) from exc
    return {"task_id": task.task_id, "terminate": terminate}


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
