"""Which series a scraper may read: the scope hook's filter, read as label values.

    narrowing = read_scope(scoped_queryset, label_set(model))   # None: cannot be read

The totals hold no task rows, so the scope hook (``CELERY_RESULTS_SCOPE_QUERYSET``)
cannot filter them as it filters a queryset. What it does to the task
queryset is read instead: equalities and ``__in`` (a list, or a subquery,
which is run) on label columns, joined by AND, become the label values a
series must carry. A hook that filters by anything else cannot be read,
and the scrape is refused rather than answered unscoped.

The query tree is read by :mod:`results_api.fields.conditions` (which
names the private parts of Django it relies on).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models

from ..fields.conditions import read_conditions
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
    conditions = read_conditions(scoped, run_subqueries=True)
    if conditions is None or conditions.compared:
        return None
    positions = {name: position for position, name in enumerate(labels.names)}
    if not set(conditions.equal) <= set(positions):
        return None
    return Narrowing(
        allowed={
            positions[name]: frozenset(label_value(value) for value in values)
            for name, values in conditions.equal.items()
        },
        nothing=conditions.nothing,
    )
