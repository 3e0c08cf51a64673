"""Who may open the dashboard: a logged-in user whom the API's task list admits.

The page shows nothing the API would not: it asks the read permission
classes of ``tasks/`` (``RESULTS_API["PERMISSION_CLASSES"]``, ``IsAdminUser``
by default, so staff only) about the session's user, as that endpoint
would, so one setting decides who reads the API and who sees its dashboard.
"""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.request import Request

from ..rest.views import TaskResultViewSet

__all__ = ["api_admits"]


def api_admits(request: HttpRequest) -> bool:
    """Return whether every permission class of the task list admits ``request``'s user."""
    api_request = Request(request, authenticators=())
    api_request.user = request.user
    view = TaskResultViewSet(action="list", request=api_request, format_kwarg=None)
    view.args, view.kwargs = (), {}
    return all(
        permission.has_permission(api_request, view) for permission in view.get_permissions()
    )
