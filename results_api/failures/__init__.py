"""Failures read at a glance: the exception type and message pattern of a stored result.

    queryset.annotate(exc_type=exception_type())       # "ConnectionError", or NULL
    queryset.annotate(exc_pattern=exception_pattern()) # "connect to # refused", or NULL

What ``?group_by=exc_type,exc_pattern`` of the stats and ``?exc_type=`` and
``?exc_pattern=`` of the list and stats read, both computed by the database.
May import Django and ``django_celery_results`` only.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models

from .exception_type import EXCEPTION_STATES, ExceptionTypeOf, exception_type
from .message_pattern import ExceptionPatternOf, exception_pattern, message_pattern

# Each computed key: its expression, its label and its description.
COMPUTED: dict[str, tuple[Callable[[], models.Expression], str, str]] = {
    "exc_type": (
        exception_type,
        "Exception type",
        "The exc_type Celery stored with a FAILURE, RETRY or REVOKED state.",
    ),
    "exc_pattern": (
        exception_pattern,
        "Exception message pattern",
        "The first line of the exception's message, each word holding a digit written #.",
    ),
}

__all__ = [
    "COMPUTED",
    "EXCEPTION_STATES",
    "ExceptionPatternOf",
    "ExceptionTypeOf",
    "exception_pattern",
    "exception_type",
    "message_pattern",
]
