"""Who may open the dashboard: a logged-in user whom the API's permission classes admit.

The page shows nothing the API would not: it asks the same
``RESULTS_API["PERMISSION_CLASSES"]`` (``IsAdminUser`` by default, so staff
only) about the session's user, so one setting decides who reads the API
and who sees its dashboard.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework.request import Request

from ..conf import api_settings

__all__ = ["api_admits"]


def api_admits(request: HttpRequest, view: Any) -> bool:
    """Return whether every read permission class of the API admits ``request``'s user."""
    api_request = Request(request, authenticators=())
    api_request.user = request.user
    return all(
        permission().has_permission(api_request, view)
        for permission in api_settings.PERMISSION_CLASSES
    )
