"""Retrying a database operation, with the names django-celery-results 2.6 exported from managers.

Our own writes retry through ``result_backend_always_retry`` instead; these
exist so that code written against 2.6 (``from django_celery_results.managers
import transaction_retry``) keeps working.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import DatabaseError

__all__ = ["W_ISOLATION_REP", "TxIsolationWarning", "transaction_retry"]

Function = TypeVar("Function", bound=Callable[..., Any])

W_ISOLATION_REP = """
Polling results with transaction isolation level 'repeatable-read'
within the same transaction may give outdated results.

Be sure to commit the transaction for each poll iteration.
"""


class TxIsolationWarning(UserWarning):
    """Warned when the transaction isolation level can make polled results stale."""


def transaction_retry(max_retries: int = 1) -> Callable[[Function], Function]:
    """Return a decorator that calls the function again after a ``DatabaseError``.

    It is retried up to ``max_retries`` times (or the ``exception_retry_count``
    keyword of one call), then the last error is raised.
    """

    def decorate(function: Function) -> Function:
        @functools.wraps(function)
        def call(*args: Any, exception_retry_count: int = max_retries, **kwargs: Any) -> Any:
            for attempt in range(exception_retry_count + 1):
                try:
                    return function(*args, **kwargs)
                except DatabaseError:
                    if attempt >= exception_retry_count:
                        raise
            raise AssertionError("unreachable")  # pragma: no cover

        return call  # type: ignore[return-value]

    return decorate
