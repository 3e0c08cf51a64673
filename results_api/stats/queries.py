"""The aggregate query behind ``tasks/stats/``: counts and runtimes per group and time bucket.

    GET tasks/stats/?group_by=status,tenant&interval=hour&date_done__gte=2024-05-01T00:00:00Z

returns one row per group (and bucket of ``date_done``, in the project's
time zone) with ``count``, ``runtime_avg`` and ``runtime_max`` (seconds), and
``runtime_p50`` / ``runtime_p95`` on PostgreSQL (null elsewhere), and the
same four of the waiting time (``wait_avg`` ...: from sent to started),
``failures`` (how many are FAILURE) and ``first_seen`` / ``last_seen``
(their earliest and latest ``date_done``), all from one SQL query. Buckets
without rows are not returned. ``group_by=exc_type`` groups by the
exception type Celery stored, ``exc_pattern`` by its message with the
varying words folded (:mod:`results_api.failures`).

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): DRF: ``Serializer._readable_fields``.
"""

from __future__ import annotations

import datetime
import functools
import math
from collections.abc import Iterable
from typing import Any, cast

from celery import states
from django.db import connections, models
from django.db.models import Avg, Case, Count, F, Max, Min, Q
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from django_celery_results.columns import concrete_field, key_field
from django_celery_results.models.abstract import AbstractTaskResult
from django_celery_results.setting_caches import forget_when_changed

from ..conf import SETTING_NAME, api_settings
from ..failures import COMPUTED
from ..fields.catalogue import COMPUTED_GROUP_BY, GROUP_BY
from ..fields.durations import PERCENTILES as DURATION_PERCENTILES
from ..fields.durations import RUNTIME, WAIT, figure_names
from ..fields.rules import field_rules

INTERVALS: dict[str, datetime.timedelta] = {
    "minute": datetime.timedelta(minutes=1),
    "hour": datetime.timedelta(hours=1),
    "day": datetime.timedelta(days=1),
}
PERCENTILES = {
    f"{RUNTIME.name}_{name}": fraction for name, fraction in DURATION_PERCENTILES.items()
}
RUNTIME_AGGREGATES = figure_names(RUNTIME)
WAIT_PERCENTILES = {
    f"{WAIT.name}_{name}": fraction for name, fraction in DURATION_PERCENTILES.items()
}
WAIT_AGGREGATES = figure_names(WAIT)
DURATION_AGGREGATES = (*RUNTIME_AGGREGATES, *WAIT_AGGREGATES)
BUCKET = "bucket"
# The earliest and latest date_done of a group: when it was first and last seen.
SEEN_AGGREGATES = ("first_seen", "last_seen")


def group_by_fields(model: type[AbstractTaskResult]) -> tuple[str, ...]:
    """Return the fields ``?group_by=`` accepts for ``model`` (its field rules' groupable)."""
    return field_rules(model).groupable


class CommaSeparatedChoicesField(serializers.Field):
    """A comma-separated list of distinct choices, in the order given."""

    default_error_messages = {
        "invalid_choice": _("Unknown field(s): {invalid}. Choose from: {choices}."),
    }

    def __init__(self, *, choices: tuple[str, ...], **kwargs: Any) -> None:
        self.choices = choices
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        values = list(dict.fromkeys(item.strip() for item in str(data).split(",")))
        invalid = [value for value in values if value not in self.choices]
        if invalid:
            self.fail("invalid_choice", invalid=", ".join(invalid), choices=", ".join(self.choices))
        return values

    def to_representation(self, value: list[str]) -> list[str]:
        return list(value)


class StatsQuerySerializer(serializers.Serializer):
    """Validate ``group_by`` and ``interval``; the per-model subclass sets the choices."""

    group_by = CommaSeparatedChoicesField(choices=GROUP_BY, required=False)
    interval = serializers.ChoiceField(choices=tuple(INTERVALS), required=False)


class StatsSerializer(serializers.Serializer):
    """The response of ``tasks/stats/``; the per-model subclass sets the rows' fields."""

    group_by = serializers.ListField(child=serializers.CharField())
    interval = serializers.CharField(allow_null=True)


def _group_field(model_field: models.Field) -> serializers.Field:
    """Return the serializer field of one group key (a ForeignKey: its key).

    Not required: a row holds only the keys the request groups by.
    """
    field_class, kwargs = serializers.ModelSerializer().build_standard_field(
        model_field.name, key_field(model_field)
    )
    kept = {name: kwargs[name] for name in ("choices", "help_text") if name in kwargs}
    label = str(model_field.verbose_name).capitalize()
    return field_class(**kept, label=label, required=False, allow_null=model_field.null)


def _computed_group_field(name: str) -> serializers.Field:
    """Return the serializer field of a computed group key (``exc_type``, ``exc_pattern``)."""
    _, label, help_text = COMPUTED[name]
    return serializers.CharField(required=False, allow_null=True, label=label, help_text=help_text)


@functools.cache
def get_stats_query_serializer_class(
    model: type[AbstractTaskResult],
) -> type[StatsQuerySerializer]:
    """Return the ``group_by``/``interval`` validator for ``model``."""
    group_by = CommaSeparatedChoicesField(choices=group_by_fields(model), required=False)
    name = f"{model._meta.object_name}StatsQuerySerializer"
    return type(name, (StatsQuerySerializer,), {"group_by": group_by})


class StatsRowListSerializer(serializers.ListSerializer):
    """The rows of ``tasks/stats/``, shown together: a bucket many groups share is shown once."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        return cast(StatsRowSerializer, self.child).represent_rows(data)


class StatsRowSerializer(serializers.Serializer):
    """One group of ``tasks/stats/``: its keys, its bucket and its aggregates."""

    class Meta:
        list_serializer_class = StatsRowListSerializer

    def to_representation(self, row: dict[str, Any]) -> dict[str, Any]:
        return self.represent_rows([row])[0]

    def represent_rows(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Return ``rows`` as shown: only each row's own keys (a response may hold thousands).

        A row holds only the keys the request groups by; the others are not
        null, but absent.
        """
        represent = self._represent
        shown: dict[tuple[str, Any], Any] = {}  # the values of fields shown once per response
        found = []
        for row in rows:
            data: dict[str, Any] = {}
            for name, show, once in represent:
                if name not in row:
                    continue
                value = row[name]
                if value is None:
                    data[name] = None
                elif once:
                    known = shown.get((name, value))
                    if known is None:
                        known = shown[name, value] = show(value)
                    data[name] = known
                else:
                    data[name] = show(value)
            found.append(data)
        return found

    @functools.cached_property
    def _represent(self) -> list[tuple[str, Any, bool]]:
        """Each field's name, what shows a value of it, and whether to show each value once."""
        found = []
        for field in self._readable_fields:
            show: Any = field.to_representation
            if type(field) is serializers.FloatField:
                show = float
            elif type(field) is serializers.IntegerField:
                show = int
            once = isinstance(field, serializers.DateTimeField)
            found.append((str(field.field_name), show, once))
        return found


@functools.cache
def get_stats_serializer_class(model: type[AbstractTaskResult]) -> type[StatsSerializer]:
    """Return ``f"{Model}StatsSerializer"``: the envelope and the typed rows of ``model``."""
    row_fields: dict[str, Any] = {
        name: _computed_group_field(name)
        if name in COMPUTED_GROUP_BY
        else _group_field(concrete_field(model, name))
        for name in group_by_fields(model)
    }
    row_fields[BUCKET] = serializers.DateTimeField(
        required=False, help_text="Start of the date_done bucket, with ?interval=."
    )
    row_fields["count"] = serializers.IntegerField(read_only=True)
    row_fields["failures"] = serializers.IntegerField(
        read_only=True, help_text="How many of the group's tasks are FAILURE."
    )
    for name, which in zip(SEEN_AGGREGATES, ("earliest", "latest"), strict=True):
        row_fields[name] = serializers.DateTimeField(
            read_only=True, allow_null=True, help_text=f"The group's {which} date_done."
        )
    for name in DURATION_AGGREGATES:
        if name in RUNTIME_AGGREGATES:
            help_text = "Seconds, over the group's finished tasks."
        else:
            help_text = "Seconds from sent to started, over the group's tasks with both known."
        if name in PERCENTILES or name in WAIT_PERCENTILES:
            help_text += " Null where the database has no percentile_cont (PostgreSQL has)."
        row_fields[name] = serializers.FloatField(
            read_only=True, allow_null=True, help_text=help_text
        )
    row = type(f"{model._meta.object_name}StatsRowSerializer", (StatsRowSerializer,), row_fields)
    attrs = {
        "__doc__": f"Counts and runtimes of {model._meta.label} task results per group.",
        "results": row(many=True, read_only=True),
    }
    return type(f"{model._meta.object_name}StatsSerializer", (StatsSerializer,), attrs)


class PercentileCont(models.Aggregate):
    """PostgreSQL's ``percentile_cont(f) WITHIN GROUP (ORDER BY expression)``."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def runtime_expression() -> Case:
    """Return ``date_done - date_started`` of finished tasks, NULL for the others."""
    return RUNTIME.expression()


def wait_expression() -> Case:
    """Return ``date_started - date_created`` where the task started after it was sent."""
    return WAIT.expression()


def bucket_count(
    start: datetime.datetime, end: datetime.datetime, interval: datetime.timedelta
) -> int:
    """Return how many buckets of ``interval`` the range from ``start`` to ``end`` spans."""
    return max(1, math.ceil((end - start) / interval) + 1)


def bound_to_buckets(queryset: models.QuerySet, filterset: Any, interval: str) -> models.QuerySet:
    """Return ``queryset`` ending now unless ``?date_done__lte=`` ends it; check its buckets.

    ``filterset`` is the request's filter set, already validated by the
    view's filtering; its ``date_done`` bounds and ``interval`` must make no
    more than ``STATS_MAX_BUCKETS`` buckets (a 400 naming the parameter).
    """
    filterset.is_valid()  # already validated by the view's filtering
    start = filterset.form.cleaned_data.get("date_done__gte")
    end = filterset.form.cleaned_data.get("date_done__lte")
    if end is None:
        end = timezone.now()
        queryset = queryset.filter(date_done__lte=end)
    check_bucket_range(start, end, interval)
    return queryset


def check_bucket_range(
    start: datetime.datetime | None, end: datetime.datetime, interval: str
) -> None:
    """Refuse an ``interval`` without a start, or with more buckets than allowed (400s)."""
    if start is None:
        raise ValidationError(
            {"date_done__gte": [_("Required with interval: the time buckets need a start.")]}
        )
    maximum = api_settings.STATS_MAX_BUCKETS
    if bucket_count(start, end, INTERVALS[interval]) > maximum:
        raise ValidationError(
            {
                "interval": [
                    _(
                        "More than %(maximum)d buckets: narrow date_done__gte/date_done__lte "
                        "or choose a longer interval."
                    )
                    % {"maximum": maximum}
                ]
            }
        )


def task_stats(
    queryset: models.QuerySet, group_by: list[str], interval: str | None
) -> list[dict[str, Any]]:
    """Return count and runtime aggregates of ``queryset`` per group (and bucket): one query."""
    runtime = runtime_expression()
    wait = wait_expression()
    aggregates: dict[str, Any] = {
        "count": Count("*"),  # not COUNT(pk): a covering index can answer it alone
        "failures": Count("status", filter=Q(status=states.FAILURE)),
        "first_seen": Min("date_done"),
        "last_seen": Max("date_done"),
        "runtime_avg": Avg(runtime),
        "runtime_max": Max(runtime),
        "wait_avg": Avg(wait),
        "wait_max": Max(wait),
    }
    if connections[queryset.db].vendor == "postgresql":
        for name, fraction in PERCENTILES.items():
            aggregates[name] = PercentileCont(runtime, fraction)
        for name, fraction in WAIT_PERCENTILES.items():
            aggregates[name] = PercentileCont(wait, fraction)
    queryset = queryset.order_by()
    keys = list(group_by)
    computed = {name: COMPUTED[name][0]() for name in keys if name in COMPUTED}
    if computed:
        queryset = queryset.annotate(**computed)
    if interval:
        queryset = queryset.annotate(**{BUCKET: Trunc("date_done", interval)})
        keys.append(BUCKET)
    if keys:
        ordering = [F(key).asc(nulls_last=True) for key in keys]
        rows = list(queryset.values(*keys).annotate(**aggregates).order_by(*ordering))
    else:
        rows = [queryset.aggregate(**aggregates)]
    for row in rows:
        for name in DURATION_AGGREGATES:
            value = row.get(name)
            row[name] = value.total_seconds() if value is not None else None
    return rows


forget_when_changed(
    get_stats_query_serializer_class.cache_clear,
    get_stats_serializer_class.cache_clear,
    settings=(SETTING_NAME,),
)
