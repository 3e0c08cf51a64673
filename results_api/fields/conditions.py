"""What a queryset's filters say, read from its query tree rather than its SQL.

    conditions = read_conditions(queryset)   # None: not a plain AND of own-table conditions

The stats engine answers from the rollup, and the metrics endpoint narrows
its series, only when they know exactly which rows a queryset holds (the
request's filters and the scope hook's). Both read the same thing: a WHERE
clause that is an AND, never negated, of lookups on the model's own columns
with plain values, no join, no DISTINCT, no slice. Anything else is
``None``, and each caller falls back to what is always right (the task
table, or refusing the scrape).

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): Django: ``Query.where``, ``Query.base_table``,
``Query.alias_refcount``, ``WhereNode`` (``children``, ``connector``,
``negated``), ``NothingNode``, the ``lhs``/``rhs`` of the lookups in it and
``Query.get_compiler().results_iter()`` (for an ``__in`` subquery, when asked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models.lookups import Exact, In, IsNull, Lookup
from django.db.models.sql.query import Query
from django.db.models.sql.where import AND, NothingNode, WhereNode

__all__ = ["Conditions", "read_conditions"]


@dataclass
class Conditions:
    """The conditions of an AND: equalities by field, other comparisons, or nothing at all.

    ``equal[name]`` holds the values field ``name`` may take (primary keys
    for a foreign key; ``None`` for ``isnull``), intersected when it is
    named twice. ``compared`` holds every other lookup (a range, a
    ``contains``) with a plain value, for the caller to read or refuse.
    """

    equal: dict[str, frozenset[Any]] = field(default_factory=dict)
    compared: list[tuple[str, Lookup]] = field(default_factory=list)
    nothing: bool = False  # a condition no row meets (``.none()``, an empty ``__in``)


def read_conditions(
    queryset: models.QuerySet, *, run_subqueries: bool = False
) -> Conditions | None:
    """Return what ``queryset``'s WHERE clause says, or ``None`` when it is not a plain AND.

    With ``run_subqueries``, ``field__in=<queryset>`` is read by running the
    subquery; without, it makes the clause unreadable.
    """
    query = queryset.query
    joined = [alias for alias, count in query.alias_refcount.items() if count]
    if len(joined) > 1 or query.distinct or query.is_sliced:
        return None
    conditions = Conditions()
    reader = _Reader(query.base_table, queryset.db, run_subqueries)
    return conditions if reader.read_node(query.where, conditions) else None


@dataclass
class _Reader:
    table: str
    using: str
    run_subqueries: bool

    def read_node(self, node: WhereNode, conditions: Conditions) -> bool:
        if node.negated or (node.connector != AND and len(node.children) > 1):
            return False
        for child in node.children:
            if isinstance(child, NothingNode):
                conditions.nothing = True
            elif isinstance(child, WhereNode):
                if not self.read_node(child, conditions):
                    return False
            elif not self.read_lookup(child, conditions):
                return False
        return True

    def read_lookup(self, lookup: Any, conditions: Conditions) -> bool:
        column = getattr(lookup, "lhs", None)
        if not isinstance(column, models.expressions.Col) or column.alias != self.table:
            return False
        name = column.target.name
        rhs = lookup.rhs
        if isinstance(lookup, In) and isinstance(rhs, Query):
            if not self.run_subqueries:
                return False
            values: list[Any] = [
                row[0] for row in rhs.get_compiler(using=self.using).results_iter()
            ]
        elif hasattr(rhs, "resolve_expression"):
            return False
        elif isinstance(lookup, Exact):
            values = [rhs]
        elif isinstance(lookup, In):
            values = list(rhs)
        elif isinstance(lookup, IsNull):
            if rhs is not True:
                conditions.compared.append((name, lookup))
                return True
            values = [None]
        else:
            conditions.compared.append((name, lookup))
            return True
        found = frozenset(getattr(value, "pk", value) for value in values)
        known = conditions.equal.get(name)
        conditions.equal[name] = found if known is None else known & found
        return True
