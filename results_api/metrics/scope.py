"""Which series a scraper may read: the scope hook's filter, read as label values.

    narrowing = read_scope(scoped_queryset, label_set(model))   # None: cannot be read

The totals hold no task rows, so the scope hook (``SCOPE_QUERYSET``)
cannot filter them as it filters a queryset. What it does to the task
queryset is read instead: equalities and ``__in`` (a list, or a subquery,
which is run) on label columns, joined by AND, become the label values a
series must carry. A hook that filters by anything else cannot be read,
and the scrape is refused rather than answered unscoped.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): Django: ``Query.where`` and ``WhereNode`` (``children``,
``connector``, ``negated``), ``NothingNode``, the ``lhs``/``rhs`` of the
lookups in it, ``Query.base_table`` and ``Query.get_compiler().results_iter()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models.lookups import Exact, In, IsNull
from django.db.models.sql.query import Query
from django.db.models.sql.where import AND, NothingNode, WhereNode

from .labels import LabelSet, label_value


@dataclass
class Narrowing:
    """The label values a readable series must carry: ``{position among extra labels: values}``."""

    allowed: dict[int, frozenset[str]] = field(default_factory=dict)
    nothing: bool = False  # the hook leaves no row at all

    def admits(self, extra: tuple[str, ...] | list[str]) -> bool:
        """Return whether a series with these extra label values may be read."""
        if self.nothing:
            return False
        return all(extra[position] in values for position, values in self.allowed.items())

    def narrows_only(self, positions: tuple[int, ...]) -> bool:
        """Return whether every narrowed label is among ``positions`` (a histogram's labels)."""
        return not self.nothing and set(self.allowed) <= set(positions)


def read_scope(scoped: models.QuerySet, labels: LabelSet) -> Narrowing | None:
    """Return what the scope hook's filter on ``scoped`` allows; ``None``: it cannot be read."""
    query = scoped.query
    joined = [alias for alias, count in query.alias_refcount.items() if count]
    if len(joined) > 1 or query.distinct or query.is_sliced:
        return None
    narrowing = Narrowing()
    columns = {column: position for position, column in enumerate(labels.columns)}
    if not _read_node(query.where, narrowing, columns, query.base_table, scoped.db):
        return None
    return narrowing


def _read_node(
    node: WhereNode, narrowing: Narrowing, columns: dict[str, int], table: str, using: str
) -> bool:
    if node.negated or (node.connector != AND and len(node.children) > 1):
        return False
    for child in node.children:
        if isinstance(child, NothingNode):
            narrowing.nothing = True
        elif isinstance(child, WhereNode):
            if not _read_node(child, narrowing, columns, table, using):
                return False
        elif not _read_lookup(child, narrowing, columns, table, using):
            return False
    return True


def _read_lookup(
    lookup: Any, narrowing: Narrowing, columns: dict[str, int], table: str, using: str
) -> bool:
    column = getattr(lookup, "lhs", None)
    if not isinstance(column, models.expressions.Col) or column.alias != table:
        return False
    position = columns.get(column.target.attname)
    if position is None:
        return False
    rhs = lookup.rhs
    if isinstance(lookup, In) and isinstance(rhs, Query):
        values: list[Any] = [row[0] for row in rhs.get_compiler(using=using).results_iter()]
    elif hasattr(rhs, "resolve_expression"):
        return False
    elif isinstance(lookup, Exact):
        values = [rhs]
    elif isinstance(lookup, In):
        values = list(rhs)
    elif isinstance(lookup, IsNull) and rhs is True:
        values = [None]
    else:
        return False
    found = frozenset(label_value(getattr(value, "pk", value)) for value in values)
    known = narrowing.allowed.get(position)
    narrowing.allowed[position] = found if known is None else known & found
    return True
