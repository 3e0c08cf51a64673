"""The standard fields of a task in the API: one description each, read by every consumer.

    STANDARD["wait"]     # TaskField(name='wait', column=None, kind='number',
                         #   label='Waiting time', ordered=True, duration=WAIT, ...)
    ORDERED              # ('task_id', ..., 'runtime', 'wait')
    names(lambda field: field.content)   # ('args', 'kwargs', 'result', 'meta')

A field's API name, the model column it reads, its kind and label, and what
the API does with it: shows it, filters, orders and groups by it, rolls it
up, labels the metrics with it, searches it. The serializer, the filter
set, the field rules (ordering, ``group_by``), the stats and rollups, the
metadata, the search and the metrics read these entries, so a new standard
field is one entry here. The
store's own facts (which columns hold stored content, which are dates) are
read from :mod:`django_celery_results.columns`; the durations' rules from
:mod:`results_api.fields.durations`. Extra fields of a custom model are
described by :mod:`results_api.fields.rules`, from the model itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from django_celery_results.columns import ARGUMENT_COLUMNS, CONTENT_COLUMNS, DATE_COLUMNS
from django_celery_results.models.abstract import TASK_STATE_CHOICES

from ..failures import COMPUTED
from .durations import RUNTIME, WAIT, Duration

__all__ = [
    "COMPUTED_GROUP_BY",
    "CONTENT",
    "GROUP_BY",
    "METRIC_LABELS",
    "ORDERED",
    "ROLLED_UP",
    "SEARCHED",
    "SHOWN",
    "STANDARD",
    "STANDARD_FIELDS",
    "Kind",
    "TaskField",
    "names",
]

# What the metadata says a field holds: the kind of its column's class (char, date), or
# what no class tells: decoded stored content, multi-line text, a computed number.
Kind = Literal["char", "date", "json", "text", "number"]


@dataclass(frozen=True)
class TaskField:
    """One standard field of a task: where the API reads it and what the API does with it.

    ``EXCLUDE_FIELDS`` may still hide any of them; a hidden field is none of these.
    """

    name: str
    """The API name: the key in a task's JSON, the name in ``?ordering=``, ``?group_by=``."""
    column: str | None
    """The model field it reads; None when computed (see ``duration``)."""
    kind: Kind
    label: str
    """What the metadata calls it (the dashboard's column and filter headings)."""
    shown: bool = True
    """In a task's representation (the list, the detail, the export, the metadata)."""
    lookups: tuple[str, ...] = ()
    """Its filters, by lookup: ``exact`` is ``?name=``, ``in`` is ``?name__in=``, ..."""
    choices: tuple[tuple[str, str], ...] = ()
    """The only values its filters accept, with their labels (a select in the dashboard)."""
    ordered: bool = False
    """Accepted by ``?ordering=``: the scalar fields, not the stored content."""
    group_position: int | None = None
    """Its place among the choices of ``?group_by=`` (status first); None: no group key."""
    rolled_up: bool = False
    """A dimension of the stats' rollup, besides the status every rollup row has."""
    metric_label: bool = False
    """Usable in ``METRICS_LABELS`` (a short text: a label value per distinct value)."""
    searched: bool = False
    """Part of the searchable text (the identifiers and the stored content)."""
    duration: Duration | None = None
    """The rule that computes it, as SQL and as a Python value."""

    @property
    def content(self) -> bool:
        """Whether it is stored content: decoded as JSON, masked, targeted by ``key:value``."""
        return self.column in CONTENT_COLUMNS

    @property
    def arguments(self) -> bool:
        """Whether its stored content is Celery's repr of the arguments (masked as such)."""
        return self.column in ARGUMENT_COLUMNS

    @property
    def date(self) -> bool:
        """Whether it is one of the row's dates."""
        return self.column in DATE_COLUMNS


STANDARD_FIELDS: tuple[TaskField, ...] = (
    TaskField(
        "task_id",
        "task_id",
        "char",
        "Task id",
        lookups=("exact", "startswith", "in"),
        ordered=True,
        searched=True,
    ),
    TaskField(
        "task_name",
        "task_name",
        "char",
        "Task",
        lookups=("exact", "in", "icontains"),
        ordered=True,
        group_position=1,
        rolled_up=True,
        searched=True,
    ),
    TaskField(
        "status",
        "status",
        "char",
        "Status",
        lookups=("exact", "in"),
        choices=tuple(TASK_STATE_CHOICES),
        ordered=True,
        group_position=0,
    ),
    TaskField(
        "worker",
        "worker",
        "char",
        "Worker",
        lookups=("exact",),
        ordered=True,
        group_position=2,
        rolled_up=True,
        metric_label=True,
    ),
    TaskField(
        "periodic_task_name",
        "periodic_task_name",
        "char",
        "Periodic task",
        lookups=("exact",),
        ordered=True,
        group_position=3,
        rolled_up=True,
        metric_label=True,
    ),
    TaskField(
        "date_created", "date_created", "date", "Created", lookups=("gte", "lte"), ordered=True
    ),
    TaskField(
        "date_started", "date_started", "date", "Started", lookups=("gte", "lte"), ordered=True
    ),
    TaskField("date_done", "date_done", "date", "Done", lookups=("gte", "lte"), ordered=True),
    TaskField("runtime", None, "number", "Runtime", ordered=True, duration=RUNTIME),
    TaskField("wait", None, "number", "Waiting time", ordered=True, duration=WAIT),
    TaskField("args", "task_args", "json", "Arguments", searched=True),
    TaskField("kwargs", "task_kwargs", "json", "Keyword arguments", searched=True),
    TaskField("result", "result", "json", "Result", searched=True),
    TaskField("traceback", "traceback", "text", "Traceback"),
    TaskField("meta", "meta", "json", "Meta", searched=True),
    TaskField("content_type", "content_type", "char", "Content type"),
)
"""In the order of a task's representation."""

STANDARD: dict[str, TaskField] = {field.name: field for field in STANDARD_FIELDS}

# Computed groups of ?group_by= (and filters of the same name), each with the API field
# it is read from: hidden with that field. The expressions are in results_api.failures.
COMPUTED_GROUP_BY: dict[str, str] = dict.fromkeys(COMPUTED, STANDARD["result"].name)


def names(which: Callable[[TaskField], object]) -> tuple[str, ...]:
    """Return the API names of the standard fields for which ``which`` holds, in their order."""
    return tuple(field.name for field in STANDARD_FIELDS if which(field))


SHOWN = names(lambda field: field.shown)
ORDERED = names(lambda field: field.ordered)
GROUP_BY = tuple(
    field.name
    for field in sorted(
        (field for field in STANDARD_FIELDS if field.group_position is not None),
        key=lambda field: field.group_position or 0,
    )
)
"""The standard fields ``?group_by=`` accepts, in the order it lists them."""
ROLLED_UP = names(lambda field: field.rolled_up)
METRIC_LABELS = names(lambda field: field.metric_label)
SEARCHED = names(lambda field: field.searched)
CONTENT = names(lambda field: field.content)
"""The stored content, by API name: what a search's ``key:value`` term may target."""
