"""Task results counted by the database: per status, one column and the quarter of an hour.

    for counts in count(queryset, "tenant_id", by_quarter=True):
        counts.status, counts.value, counts.quarter, counts.count, counts.runtime.ordinals

What the stats read from the task table (the results the rollup does not
hold yet) and what the rollup folds in, both: the database computes each
result's runtime and waiting time (the rule of ``results_api.stats``) and
its histogram bin (``results_api/bins.py``) and returns one row per group,
so Python parses no date of each result. Quarters of an hour, because
time zone offsets are whole quarters: a quarter lies in one local hour.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connections, models
from django.db.models import Count, F, Max, Sum, Value
from django.db.models.functions import Floor

from . import bins
from .stats import runtime_expression, wait_expression

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
QUARTER_SECONDS = 900


@dataclass
class Durations:
    """A group's runtimes (or waiting times): how many are known, their sum, maximum and bins."""

    count: int
    total: float
    maximum: float | None
    ordinals: list[int]


@dataclass
class Counts:
    """One group: its status, column value, quarter (its start; ``None`` unless asked), figures."""

    status: str
    value: Any
    quarter: datetime.datetime | None
    count: int
    runtime: Durations
    wait: Durations


def count(
    queryset: models.QuerySet, column: str | None = None, *, by_quarter: bool = False
) -> Iterator[Counts]:
    """Return the results of ``queryset`` counted per status, ``column`` (an attname), quarter."""
    model = queryset.model
    grouped = (column,) if column else ()
    selected = queryset.order_by().values_list(
        "status", "date_created", "date_started", "date_done", *grouped
    )
    inner_sql, inner_params = selected.query.get_compiler(using=queryset.db).as_sql()
    head, head_params, tail = _grouped_sql(model, queryset.db, grouped, by_quarter)  # type: ignore[arg-type]
    connection = connections[queryset.db]
    convert = _converter(model, column, connection) if column else None
    bins.raise_text_limit(connection)
    with connection.cursor() as cursor:
        cursor.execute(f"{head} ({inner_sql}) {tail}", (*head_params, *inner_params))
        rows = cursor.fetchall()
    for row in rows:
        values = list(row)
        status = values.pop(0)
        value = convert(values.pop(0)) if convert else None
        quarter = None
        if by_quarter:
            quarter = EPOCH + datetime.timedelta(seconds=int(values.pop(0)) * QUARTER_SECONDS)
        number, runtimes, runtime_sum, runtime_max, runtime_bins, *wait = values
        waits, wait_sum, wait_max, wait_bins = wait
        yield Counts(
            status,
            value,
            quarter,
            number,
            Durations(runtimes, runtime_sum, runtime_max, bins.parse(runtime_bins)),
            Durations(waits, wait_sum, wait_max, bins.parse(wait_bins)),
        )


@functools.lru_cache(maxsize=64)
def _grouped_sql(
    model: type[models.Model], using: str, grouped: tuple[str, ...], by_quarter: bool
) -> tuple[str, tuple, str]:
    """Return the grouping query of ``count`` around its FROM: (head, params, tail).

    Built with Django's expressions once per shape (building them costs
    more than the query they make), over the model's table, whose name
    then stands for the request's own selection, a derived table with the
    same columns: ``head (SELECT ... WHERE ...) tail``.
    """
    queryset = models.QuerySet(model, using=using).order_by()
    keys = ["status", *grouped]
    if by_quarter:
        since_epoch = bins.seconds(F("date_done") - Value(EPOCH, models.DateTimeField()))
        queryset = queryset.annotate(rollup_quarter=Floor(since_epoch / QUARTER_SECONDS))
        keys.append("rollup_quarter")
    queryset = queryset.annotate(
        rollup_runtime=bins.seconds(runtime_expression()),
        rollup_wait=bins.seconds(wait_expression()),
    )
    figures: dict[str, Any] = {"rollup_count": Count("*")}
    for name in ("runtime", "wait"):
        seconds = F(f"rollup_{name}")
        figures[f"rollup_{name}_count"] = Count(seconds)
        figures[f"rollup_{name}_sum"] = Sum(seconds)
        figures[f"rollup_{name}_max"] = Max(seconds)
        figures[f"rollup_{name}_bins"] = bins.BinOrdinals(bins.bin_ordinal(seconds))
    grouping = queryset.values(*keys).annotate(**figures).values_list(*keys, *figures)
    sql, params = grouping.query.get_compiler(using=using).as_sql()
    table = connections[using].ops.quote_name(model._meta.db_table)
    head, found, tail = sql.partition(f" FROM {table}")
    # One FROM, and every parameter before it (the GROUP BY names columns by number).
    if not found or table in tail.replace(f"{table}.", "") or "%s" in tail:
        raise ValueError(f"unexpected grouping query: {sql}")
    return f"{head} FROM", tuple(params), f"{table}{tail}"


def _converter(model: type[models.Model], column: str, connection: Any) -> Any:
    """Return what turns a grouped column's database value into the one Django reads."""
    field = next(field for field in model._meta.concrete_fields if field.attname == column)
    col = field.get_col(model._meta.db_table)
    converters = [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]

    def convert(value: Any) -> Any:
        for converter in converters:
            value = converter(value, col, connection)
        return value

    return convert
