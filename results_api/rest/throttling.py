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

Failed log-ins are counted too: a request whose credentials are wrong (HTTP
basic, a token: anything DRF's authentication refuses) counts against its
address in the ``auth_failures`` scope (20/minute by default), and an
address past it gets a 429 on every endpoint before its credentials are
even checked, the right ones included, until the minute has passed. DRF
authenticates before it throttles, so no throttle class sees those
failures: the views count them (:class:`AuthFailureThrottle`).

Stats and export are tighter: each request reads every matching row.
``RESULTS_API["THROTTLE_RATES"]`` changes a rate (None lifts it); a request
over it gets a 429 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import BaseCache, caches
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings as drf_settings
from rest_framework.throttling import SimpleRateThrottle

from ..conf import DEFAULTS, api_settings

__all__ = [
    "SCOPE_BY_ACTION",
    "AuthFailureThrottle",
    "EndpointRateThrottle",
    "FailedLoginLockout",
    "throttle_rates",
    "throttle_scope",
]

# The scope of each viewset action; actions not listed are "read".
SCOPE_BY_ACTION: dict[str, str] = {
    "stats": "stats",
    "export": "export",
    "revoke": "actions",
    "retry": "actions",
    "bulk": "actions",
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


class AuthFailureThrottle(SimpleRateThrottle):
    """Count an address's failed log-ins; past the ``auth_failures`` rate, refuse it.

    A fixed window: the failures of one window are a counter that
    :meth:`record_failure` adds to atomically (``cache.incr``), so that
    guesses sent at once are all counted. :meth:`allow_request` only checks
    (it runs before authentication, on every request). The address is the
    peer's (``REMOTE_ADDR``), or the one DRF's ``NUM_PROXIES`` picks from
    ``X-Forwarded-For``; never a header a client may write as it likes.
    """

    scope = "auth_failures"
    cache_format = "results_api_throttle_%(scope)s_%(ident)s_%(window)d"

    def __init__(self) -> None:
        self.rate = throttle_rates().get(self.scope)
        if self.rate is not None:
            self.num_requests, self.duration = self.parse_rate(self.rate)

    @property
    def cache(self) -> BaseCache:  # type: ignore[override]
        return caches[api_settings.THROTTLE_CACHE]

    def get_ident(self, request: Request) -> str:
        """Return the client's address; ``X-Forwarded-For`` only behind ``NUM_PROXIES`` proxies."""
        if drf_settings.NUM_PROXIES is None:
            return str(request.META.get("REMOTE_ADDR", ""))
        return super().get_ident(request)

    def get_cache_key(self, request: Request, view: Any) -> str:
        assert self.duration is not None  # a rate is set
        self.now = self.timer()
        window = int(self.now // self.duration)
        ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident, "window": window}

    def allow_request(self, request: Request, view: Any) -> bool:
        """Return whether the address is under its failed log-ins' limit (always, without one)."""
        if self.rate is None or self.num_requests is None:
            return True
        return int(self.cache.get(self.get_cache_key(request, view), 0)) < self.num_requests

    def record_failure(self, request: Request, view: Any) -> None:
        """Count one failed log-in of the request's address."""
        if self.rate is None:
            return
        key = self.get_cache_key(request, view)
        self.cache.add(key, 0, self.duration)
        try:
            self.cache.incr(key)
        except ValueError:  # expired between the two calls: this failure starts the count
            self.cache.add(key, 1, self.duration)

    def wait(self) -> float:
        """Return the seconds until the current window ends."""
        assert self.duration is not None
        return self.duration - self.now % self.duration


class FailedLoginLockout:
    """A view mixin: refuse an address past its failed log-ins, and count each refused credential.

    DRF authenticates before it throttles, so no throttle class sees a
    failure: the view counts it when DRF raises ``AuthenticationFailed``.
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        lockout = AuthFailureThrottle()
        if not lockout.allow_request(request, self):
            self.throttled(request, lockout.wait() or 1.0)  # type: ignore[attr-defined]
        super().initial(request, *args, **kwargs)  # type: ignore[misc]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, AuthenticationFailed):
            AuthFailureThrottle().record_failure(self.request, self)  # type: ignore[attr-defined]
        return super().handle_exception(exc)  # type: ignore[misc]
