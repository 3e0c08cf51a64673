"""A middleware that reports each request's database time in a ``Server-Timing`` header.

The read-path benchmark talks to a real server in another process; this is
how it learns the time each request spent in database calls
(``Server-Timing: db;dur=0.84``, in milliseconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse


class DatabaseTimer:
    """Sum the time spent in database calls, for ``connection.execute_wrapper``."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


class DatabaseTimeMiddleware:
    """Time every database call of the request and report the sum as ``Server-Timing``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timer = DatabaseTimer()
        with connection.execute_wrapper(timer):
            response = self.get_response(request)
        response["Server-Timing"] = f"db;dur={timer.seconds * 1000:.3f}"
        return response
