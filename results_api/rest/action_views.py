"""POST ``tasks/<task_id>/revoke/`` and ``tasks/<task_id>/retry/``, apart from the reads.

``TaskActionsMixin`` gives a task viewset the two actions with what is
theirs alone: the 404 while a setting has not turned one on, the
permission classes of each (checked after the read permissions), their
request and response serializers, and their links in the browsable API.
Their throttle scope is ``actions`` (:mod:`results_api.rest.throttling`) and
their schema is documented only when turned on (:mod:`results_api.rest.schema`);
what they do is in :mod:`results_api.rest.actions`. Each is recorded in the
admin's history (:mod:`results_api.audit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from ..audit import record_action
from .actions import (
    ACTIONS,
    RetriedSerializer,
    RevokeSerializer,
    action_enabled,
    action_permissions,
    retry_task,
    revoke_task,
)

if TYPE_CHECKING:
    from rest_framework.viewsets import GenericViewSet

    _ViewSetBase = GenericViewSet
else:
    _ViewSetBase = object


class TaskActionsMixin(_ViewSetBase):
    """Revoke and retry for a viewset of task results looked up by ``task_id``."""

    def get_serializer_class(self) -> Any:
        if self.action == "revoke":
            return RevokeSerializer
        if self.action == "retry":
            return RetriedSerializer
        return super().get_serializer_class()

    def get_permissions(self) -> Sequence[BasePermission]:
        """Return the read permissions, and those of the action for revoke and retry."""
        permissions = cast(Sequence[BasePermission], super().get_permissions())
        if self.action in ACTIONS:
            return [*permissions, *action_permissions(self.action)]
        return permissions

    def get_extra_action_url_map(self) -> dict[str, str]:
        """Return the browsable API's links to extra actions, without those turned off."""
        urls = super().get_extra_action_url_map()
        for extra in self.get_extra_actions():
            if extra.__name__ in ACTIONS and not action_enabled(extra.__name__):
                view = self.__class__(**cast(Any, extra).kwargs)  # set by @action
                urls.pop(view.get_view_name(), None)
        return urls

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Answer 404 for an action the project has not turned on, then check as usual."""
        if self.action in ACTIONS and not action_enabled(self.action):
            raise NotFound()
        super().initial(request, *args, **kwargs)

    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, task_id: str | None = None) -> Response:
        """Revoke the task (``terminate``: also stop it if running); off unless enabled."""
        task = self.get_object()
        options = RevokeSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        answer = revoke_task(task, **options.validated_data)
        terminate = options.validated_data["terminate"]
        message = f"Revoked through the results API{' and terminated' if terminate else ''}."
        record_action(request.user, type(task), message, row=task)
        return Response(answer, status=202)

    @action(detail=True, methods=["post"])
    def retry(self, request: Request, task_id: str | None = None) -> Response:
        """Send the task again with its stored arguments; off unless enabled."""
        task = self.get_object()
        answer = retry_task(task)
        message = f"Retried through the results API as {answer['task_id']}."
        record_action(request.user, type(task), message, row=task)
        return Response(answer, status=202)
