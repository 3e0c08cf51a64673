"""Failures read at a glance: the exception type of a stored result, computed by the database.

    queryset.annotate(exc_type=exception_type())       # "ConnectionError", or NULL

What ``?group_by=exc_type`` of the stats and ``?exc_type=`` of the list and
stats read. May import Django and ``django_celery_results`` only.
"""

from __future__ import annotations

from .exception_type import EXCEPTION_STATES, ExceptionTypeOf, exception_type

__all__ = ["EXCEPTION_STATES", "ExceptionTypeOf", "exception_type"]
