"""Durations in seconds and their histogram bins, computed by the database.

    ordinals = BinOrdinals(bin_ordinal(seconds(runtime_expression())))
    queryset.values("status").annotate(runtime_bins=ordinals)   # "4321,4330,4330"

So that the stats read from the task table (the results the rollup does not
hold yet) come back grouped, one row per group with its bins as text, and
Python parses no date of each result. The bins are those of
``results_api/stats/histogram.py``: the same ``log``, ``ceil``, clamp and constants.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Abs, Cast, Ceil, Greatest, Least, Ln, Sign
from django.db.models.lookups import Exact

from . import histogram


class Seconds(models.Func):
    """A duration expression (``DurationField``) as seconds, a float."""

    output_field = models.FloatField()
    # Without a native duration type, Django computes durations as integer microseconds.
    template = "(%(expressions)s) / 1e6"

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        if connection.features.has_native_duration_field:
            # date_part, not EXTRACT: a double, where EXTRACT computes a numeric (slower).
            extra["template"] = "date_part('epoch', %(expressions)s)"
        return super().as_sql(compiler, connection, **extra)


def seconds(duration: Any) -> Seconds:
    """Return ``duration`` (an expression of a ``DurationField``) in seconds."""
    return Seconds(duration)


def bin_ordinal(value: Any) -> models.Expression:
    """Return the ordinal of the histogram bin of ``value`` (seconds), as ``ordinal_of`` does."""
    index = Ceil(Ln(Abs(value)) / _number(histogram.LOG_GAMMA))
    # Clamped as ordinal_of clamps it: durations past 1e35 s share the last bin.
    clamped = Least(Greatest(index, _number(1 - histogram.BIAS)), _number(histogram.BIAS - 1))
    magnitude = _number(histogram.BIAS) + clamped
    return Cast(
        models.Case(
            models.When(Exact(value, _number(0.0)), then=_number(histogram.ZERO)),
            default=Sign(value) * magnitude,
            output_field=models.FloatField(),
        ),
        models.IntegerField(),
    )


def _number(value: float) -> models.Value:
    return models.Value(value, output_field=models.FloatField())


class BinOrdinals(models.Aggregate):
    """The bin ordinals of a group's values, as comma-separated text (NULLs left out)."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s)"
    output_field = models.TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "STRING_AGG(CAST(%(expressions)s AS text), ',')"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_mysql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Its length is capped by the session's group_concat_max_len: see raise_text_limit().
        template = "GROUP_CONCAT(CAST(%(expressions)s AS CHAR) SEPARATOR ',')"
        return self.as_sql(compiler, connection, template=template, **extra)


def raise_text_limit(connection: Any) -> None:
    """Let MySQL and MariaDB return ``BinOrdinals`` of any length (1,024 bytes by default)."""
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION group_concat_max_len = 4294967295")


def parse(text: str | None) -> list[int]:
    """Return the ordinals of a ``BinOrdinals`` text."""
    return list(map(int, text.split(","))) if text else []
