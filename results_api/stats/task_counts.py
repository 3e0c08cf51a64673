"""Task results counted by the database: per status, one column and the quarter of an hour.

    for counts in count(queryset, "tenant_id", by_quarter=True):
        counts.status, counts.value, counts.quarter, counts.count, counts.runtime.ordinals
    for counts in count(queryset, ("task_name", "tenant_id")):
        counts.value            # ("app.tasks.add", 3): a tuple when columns are

What the stats read from the task table (the results the rollup does not
hold yet) and what the rollup folds in, both: the database computes each
result's runtime and waiting time (the rule of ``results_api.stats.queries``) and
its histogram bin (``results_api/stats/bins.py``) and returns one row per group,
so Python parses no date of each result. Quarters of an hour, because
time zone offsets are whole quarters: a quarter lies in one local hour.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): Django: ``Query.get_compiler().as_sql()``,
``DatabaseOperations.get_db_converters()``, ``Col.get_db_converters()`` and
``Options.concrete_fields``.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import Count, F, Max, Min, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Floor

from django_celery_results.columns import concrete_field

from . import bins
from .queries import runtime_expression, wait_expression

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
    """One group: its status, column value(s), quarter (its start, if asked), figures."""

    status: str
    value: Any
    quarter: datetime.datetime | None
    count: int
    runtime: Durations
    wait: Durations
    # The earliest and latest date_done, in seconds since the epoch.
    first: float | None = None
    last: float | None = None


def count(
    queryset: models.QuerySet | Sequence[models.QuerySet],
    column: str | tuple[str, ...] | None = None,
    *,
    by_quarter: bool = False,
) -> Iterator[Counts]:
    """Return the results of ``queryset`` counted per status, ``column`` (attnames), quarter.

    With a tuple of columns, each group's ``value`` is the tuple of their values.
    Several querysets of one model (rows none of them share) are counted
    together, in one statement: each reads its rows through its own index.
    """
    parts = [queryset] if isinstance(queryset, models.QuerySet) else list(queryset)
    model, using = parts[0].model, parts[0].db
    several = isinstance(column, tuple)
    grouped: tuple[str, ...] = column if isinstance(column, tuple) else (column,) if column else ()
    selects, inner_params = [], []
    for part in parts:
        selected = part.order_by().values_list(
            "status", "date_created", "date_started", "date_done", *grouped
        )
        try:
            sql, params = selected.query.get_compiler(using=using).as_sql()
        except EmptyResultSet:
            continue  # a filter no row can match (an empty __in list): nothing to count
        selects.append(sql)
        inner_params.extend(params)
    if not selects:
        return
    inner_sql = " UNION ALL ".join(selects)
    head, head_params, tail = _grouped_sql(model, using, grouped, by_quarter)  # type: ignore[arg-type]
    connection = connections[using]
    converters = [_converter(model, name, connection) for name in grouped]
    bins.raise_text_limit(connection)
    with connection.cursor() as cursor:
        cursor.execute(f"{head}{inner_sql}{tail}", (*head_params, *inner_params))
        rows = cursor.fetchall()
    for row in rows:
        values = list(row)
        status = values.pop(0)
        found = [convert(values.pop(0)) for convert in converters]
        value = tuple(found) if several else found[0] if found else None
        quarter = None
        if by_quarter:
            quarter = EPOCH + datetime.timedelta(seconds=int(values.pop(0)) * QUARTER_SECONDS)
        number, runtimes, runtime_sum, runtime_max, runtime_bins, *wait = values
        waits, wait_sum, wait_max, wait_bins, first, last = wait
        yield Counts(
            status,
            value,
            quarter,
            number,
            Durations(runtimes, runtime_sum, runtime_max, bins.parse(runtime_bins)),
            Durations(waits, wait_sum, wait_max, bins.parse(wait_bins)),
            first,
            last,
        )


@functools.lru_cache(maxsize=64)
def _grouped_sql(
    model: type[models.Model], using: str, grouped: tuple[str, ...], by_quarter: bool
) -> tuple[str, tuple, str]:
    """Return the grouping query of ``count`` around its selection: (head, params, tail).

    Built with Django's expressions once per shape (building them costs
    more than the query they make), over the model's table, whose name
    then stands for a derived table with the same columns: ``head`` +
    the request's ``SELECT ... WHERE ...`` + ``tail``. Two levels: each
    result's durations and quarter (computed once, where PostgreSQL would
    otherwise compute them again for each aggregate), then the groups.
    """
    connection = connections[using]
    table = connection.ops.quote_name(model._meta.db_table)
    each = models.QuerySet(model, using=using).order_by()
    names = ["status", *grouped]
    if by_quarter:
        since_epoch = bins.seconds(F("date_done") - Value(EPOCH, models.DateTimeField()))
        each = each.annotate(rollup_quarter=Floor(since_epoch / QUARTER_SECONDS))
        names.append("rollup_quarter")
    each = each.annotate(
        rollup_runtime=bins.seconds(runtime_expression()),
        rollup_wait=bins.seconds(wait_expression()),
        rollup_done=bins.seconds(F("date_done") - Value(EPOCH, models.DateTimeField())),
    )
    each_head, each_params, each_tail = _split(
        each.values_list(*names, "rollup_runtime", "rollup_wait", "rollup_done"), table
    )
    if connection.vendor == "postgresql":
        each_tail += " OFFSET 0"  # kept a subquery: computed once per result

    def column(name: str) -> RawSQL:
        return RawSQL(f"{table}.{connection.ops.quote_name(name)}", (), models.FloatField())

    groups = models.QuerySet(model, using=using).order_by()
    if by_quarter:
        groups = groups.annotate(rollup_quarter_start=column("rollup_quarter"))
    keys = ["status", *grouped, *(["rollup_quarter_start"] if by_quarter else [])]
    figures: dict[str, Any] = {"rollup_count": Count("*")}
    for name in ("runtime", "wait"):
        seconds = column(f"rollup_{name}")
        figures[f"rollup_{name}_count"] = Count(seconds)
        figures[f"rollup_{name}_sum"] = Sum(seconds)
        figures[f"rollup_{name}_max"] = Max(seconds)
        figures[f"rollup_{name}_bins"] = bins.BinOrdinals(bins.bin_ordinal(seconds))
    figures["rollup_first"] = Min(column("rollup_done"))
    figures["rollup_last"] = Max(column("rollup_done"))
    grouping = groups.values(*keys).annotate(**figures).values_list(*keys, *figures)
    head, params, tail = _split(grouping, table)
    return (
        f"{head} FROM ({each_head} FROM (",
        (*params, *each_params),
        f") {table}{each_tail}) {table}{tail}",
    )


def _split(queryset: models.QuerySet, table: str) -> tuple[str, tuple, str]:
    """Return the SQL of ``queryset`` around its ``FROM table``: (head, params, tail)."""
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    head, found, tail = sql.partition(f" FROM {table}")
    # One FROM, and every parameter before it (GROUP BY names columns by number).
    if not found or table in tail.replace(f"{table}.", "") or "%s" in tail:
        raise ValueError(f"unexpected grouping query: {sql}")
    return head, tuple(params), tail


def _converter(model: type[models.Model], column: str, connection: Any) -> Any:
    """Return what turns a grouped column's database value into the one Django reads."""
    field = concrete_field(model, column)
    col = field.get_col(model._meta.db_table)
    converters = [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]

    def convert(value: Any) -> Any:
        for converter in converters:
            value = converter(value, col, connection)
        return value

    return convert
