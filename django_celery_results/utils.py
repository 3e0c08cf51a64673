"""The current time as django-celery-results 2.6 gave it, for code that imports it from here.

Kept for drop-in compatibility only; new code calls ``django.utils.timezone.now()``.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

__all__ = ["now", "now_localtime"]

# Upstream's name for the conversion to the current time zone.
now_localtime = timezone.template_localtime  # type: ignore[attr-defined]  # not in django-stubs


def now() -> datetime.datetime:
    """Return the current time: aware in the current time zone with ``USE_TZ``, else naive."""
    if getattr(settings, "USE_TZ", False):
        return now_localtime(timezone.now())
    return timezone.now()
