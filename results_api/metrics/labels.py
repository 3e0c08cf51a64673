"""Which task fields label the metrics, and how a stored value becomes a label value.

    labels = label_set(model)       # names ("tenant",), columns ("tenant_id",), ...
    label_value(3) == "3"

Every series carries ``task`` (the task name); counters carry ``state``
too. The project adds fields with ``METRICS_LABELS``: by default the extra
fields that hold few values (a foreign key, choices, a boolean), as the
stats rollup does. A field of many values (the worker's host name, free
text, a number) is accepted with a warning (``results_api.W020``): each
value is a series of its own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.utils.translation import gettext as _

from django_celery_results.columns import concrete_field
from django_celery_results.models.abstract import AbstractTaskResult
from django_celery_results.setting_caches import forget_when_changed

from ..conf import SETTING_NAME, api_settings
from ..fields.catalogue import METRIC_LABELS, STANDARD
from ..fields.rules import FieldKind, field_rules, get_model_fields

TASK = "task"
STATE = "state"
# What the extra labels of the combinations past METRICS_MAX_SERIES read.
OVERFLOW = "__overflow__"
# Extra fields of these kinds hold a handful of values: quiet labels.
FEW_VALUES = frozenset({FieldKind.FOREIGN_KEY, FieldKind.CHOICES, FieldKind.BOOLEAN})
# Of these, a label per value could mean a series per task: accepted, with a warning.
MANY_VALUES = frozenset({FieldKind.CHAR, FieldKind.NUMBER})


@dataclass(frozen=True)
class LabelSet:
    """The extra labels of one model's metrics: field names, their columns, the histograms'."""

    names: tuple[str, ...]
    columns: tuple[str, ...]
    histogram_names: tuple[str, ...]

    @property
    def histogram_positions(self) -> tuple[int, ...]:
        """Return where the histograms' labels sit among ``names``."""
        return tuple(self.names.index(name) for name in self.histogram_names)


@functools.cache
def label_set(model: type[AbstractTaskResult]) -> LabelSet:
    """Return the extra labels of ``model``'s metrics; ``ImproperlyConfigured`` if one is wrong."""
    configured = api_settings.METRICS_LABELS
    rules = field_rules(model)
    if configured is None:
        names = tuple(
            field.name
            for field in rules.extra
            if field.kind in FEW_VALUES and rules.is_visible(field.name)
        )
    else:
        names = tuple(configured)
        for name in names:
            _kind_of(model, name)  # raises on a field that cannot be a label
    histogram_names = tuple(api_settings.METRICS_HISTOGRAM_LABELS or ())
    stray = sorted(set(histogram_names) - set(names))
    if stray:
        raise ImproperlyConfigured(
            _(
                "%(setting)s['METRICS_HISTOGRAM_LABELS'] names %(names)s, which are not "
                "metrics labels."
            )
            % {"setting": SETTING_NAME, "names": stray}
        )
    columns = tuple(concrete_field(model, name).attname for name in names)
    return LabelSet(names=names, columns=columns, histogram_names=histogram_names)


forget_when_changed(label_set.cache_clear, settings=(SETTING_NAME,))


def many_valued_labels(model: type[AbstractTaskResult]) -> tuple[str, ...]:
    """Return the configured labels whose field may hold a value per task (a series each)."""
    return tuple(name for name in label_set(model).names if _kind_of(model, name) in MANY_VALUES)


def _kind_of(model: type[AbstractTaskResult], name: str) -> FieldKind:
    """Return the kind of label field ``name``; ``ImproperlyConfigured`` if it cannot be one."""
    if name in METRIC_LABELS:
        kind = FieldKind(STANDARD[name].kind)
    else:
        extra = {field.name: field.kind for field in get_model_fields(model).extra}
        kind = extra.get(name, FieldKind.UNFILTERABLE)
        if name not in extra:
            try:
                concrete_field(model, name)
            except FieldDoesNotExist:
                raise ImproperlyConfigured(
                    _("%(setting)s['METRICS_LABELS'] names %(name)r, which %(model)s lacks.")
                    % {"setting": SETTING_NAME, "name": name, "model": model._meta.label}
                ) from None
    if kind not in FEW_VALUES | MANY_VALUES or not field_rules(model).is_visible(name):
        raise ImproperlyConfigured(
            _(
                "%(setting)s['METRICS_LABELS'] names %(name)r, which cannot label metrics: a "
                "label is a foreign key, choices, a boolean, a short text or a number that "
                "the API shows (the task name and state are labels already)."
            )
            % {"setting": SETTING_NAME, "name": name}
        )
    return kind


def label_value(value: Any) -> str:
    """Return a stored value as a label value: a key as text, booleans in lower case."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
