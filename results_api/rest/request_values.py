"""Values Python accepts but a database refuses, turned into 400s instead of 500s.

SQLite stores integers in 64 bits; PostgreSQL refuses NUL characters in
text and UTC offsets past 15:59; neither takes a lone surrogate (``"\ud800"``
from a JSON escape), which has no UTF-8 form. A query carrying one would fail inside the
database; every value from a request goes through these checks first.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

SMALLEST_INTEGER = -(2**63)
LARGEST_INTEGER = 2**63 - 1


def database_safe(value: Any) -> Any:
    """Return ``value`` as every supported database compares it; ValueError if none can."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not SMALLEST_INTEGER <= value <= LARGEST_INTEGER:
            raise ValueError("integer out of the 64-bit range")
    elif isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL character")
        value.encode("utf-8")  # UnicodeEncodeError, a ValueError, for a lone surrogate
    elif isinstance(value, datetime.datetime) and timezone.is_aware(value):
        try:
            return value.astimezone(datetime.timezone.utc)
        except OverflowError:
            raise ValueError("date-time out of range in UTC") from None
    return value


class SafeIntegerField(forms.IntegerField):
    """A whole number within the 64-bit range every database stores."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", SMALLEST_INTEGER)
        kwargs.setdefault("max_value", LARGEST_INTEGER)
        super().__init__(**kwargs)


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, converted to UTC: databases take fewer offsets than Python."""

    default_error_messages = {"out_of_range": _("Enter a date-time that exists in UTC.")}

    def to_python(self, value: Any) -> datetime.datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return database_safe(parsed)
        except ValueError:
            raise forms.ValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from None
