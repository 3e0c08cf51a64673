"""Throttling per endpoint scope, so that one noisy client cannot take the API down.

Each request counts against its client's (the user, or the address of an
anonymous one) allowance in the scope of its endpoint:

=========  =====================================  ==============
scope      endpoints                              default rate
=========  =====================================  ==============
read       tasks/, tasks/<id>/, groups/, ...      600/minute
stats      tasks/stats/                           120/minute
export     tasks/export/                          10/hour
actions    tasks/<id>/revoke/, tasks/<id>/retry/  30/minute
=========  =====================================  ==============

Stats and export are tighter: each request reads every matching row.
``RESULTS_API["THROTTLE_RATES"]`` changes a rate (None lifts it); a request
over it gets a 429 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import BaseCache, caches
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from .conf import DEFAULTS, api_settings

__all__ = ["SCOPE_BY_ACTION", "EndpointRateThrottle", "throttle_rates", "throttle_scope"]

# The scope of each viewset action; actions not listed are "read".
SCOPE_BY_ACTION: dict[str, str] = {
    "stats": "stats",
    "export": "export",
    "revoke": "actions",
    "retry": "actions",
}
READ_SCOPE = "read"


def throttle_rates() -> dict[str, str | None]:
    """Return the rate of every scope: the project's values over the defaults."""
    return {**DEFAULTS["THROTTLE_RATES"], **(api_settings.THROTTLE_RATES or {})}


def throttle_scope(view: Any) -> str:
    """Return the throttle scope of ``view``'s action (``throttle_scope`` on a view wins)."""
    scope = getattr(view, "throttle_scope", None)
    if scope:
        return scope
    return SCOPE_BY_ACTION.get(getattr(view, "action", None) or "", READ_SCOPE)


class EndpointRateThrottle(SimpleRateThrottle):
    """Limit each client's requests per endpoint scope, at the rate ``THROTTLE_RATES`` sets."""

    cache_format = "results_api_throttle_%(scope)s_%(ident)s"

    def __init__(self) -> None:
        # The scope, and so the rate, is known only once the view is: see allow_request.
        self.scope: str | None = None
        self.rate: str | None = None

    @property
    def cache(self) -> BaseCache:  # type: ignore[override]
        return caches[api_settings.THROTTLE_CACHE]

    def allow_request(self, request: Request, view: Any) -> bool:
        """Return whether the request is within its scope's rate (always, without one)."""
        self.scope = throttle_scope(view)
        self.rate = throttle_rates().get(self.scope)
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str:
        """Return the key that counts this client's requests in this scope."""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ident = f"user-{user.pk}"
        else:
            ident = f"addr-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
