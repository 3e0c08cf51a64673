"""Concrete result models on the upstream tables, and the active-model getters.

``TaskResult`` and ``GroupResult`` are swappable like ``auth.User``: set
``CELERY_RESULTS_TASKRESULT_MODEL = "myapp.TaskResult"`` and call
:func:`get_task_result_model` wherever the active class is needed.
"""

from __future__ import annotations

import functools
from typing import cast

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from ..conf import GROUPRESULT_MODEL, TASKRESULT_MODEL, get_setting
from ..setting_caches import forget_when_changed
from .abstract import (
    ALL_STATES,
    TASK_STATE_CHOICES,
    AbstractChordCounter,
    AbstractGroupResult,
    AbstractTaskResult,
)

__all__ = [
    "ALL_STATES",
    "TASK_STATE_CHOICES",
    "ChordCounter",
    "GroupResult",
    "TaskResult",
    "get_group_result_model",
    "get_task_result_model",
]


class TaskResult(AbstractTaskResult):
    """Task result/status, on the default table."""

    class Meta(AbstractTaskResult.Meta):
        abstract = False
        swappable = TASKRESULT_MODEL
        # The names upstream gave these indexes; they live only on the default table.
        indexes = [
            models.Index(fields=["task_name"], name="django_cele_task_na_08aec9_idx"),
            models.Index(fields=["status"], name="django_cele_status_9b6201_idx"),
            models.Index(fields=["worker"], name="django_cele_worker_d54dd8_idx"),
            models.Index(fields=["date_created"], name="django_cele_date_cr_f04a50_idx"),
            models.Index(fields=["date_done"], name="django_cele_date_do_f59aad_idx"),
            models.Index(fields=["periodic_task_name"], name="django_cele_periodi_1993cf_idx"),
        ]


class GroupResult(AbstractGroupResult):
    """Group result/status, on the default table."""

    class Meta(AbstractGroupResult.Meta):
        abstract = False
        swappable = GROUPRESULT_MODEL
        indexes = [
            models.Index(fields=["date_created"], name="django_cele_date_cr_bd6c1d_idx"),
            models.Index(fields=["date_done"], name="django_cele_date_do_caae0e_idx"),
        ]


class ChordCounter(AbstractChordCounter):
    """Chord synchronisation, on the default table."""


@functools.lru_cache(maxsize=8)
def _get_swappable_model(setting: str, base: type[models.Model]) -> type[models.Model]:
    # Cached: the backend asks on every read and write. A changed setting clears it.
    label = get_setting(setting)
    try:
        model = apps.get_model(label, require_ready=False)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{setting} must be of the form 'app_label.ModelName', not {label!r}."
        ) from exc
    except LookupError as exc:
        raise ImproperlyConfigured(
            f"{setting} refers to model {label!r} that has not been installed."
        ) from exc
    if not issubclass(model, base):
        raise ImproperlyConfigured(
            f"{setting} refers to {label!r}, which does not subclass "
            f"{base.__module__}.{base.__qualname__}."
        )
    return model


def get_task_result_model() -> type[AbstractTaskResult]:
    """Return the active TaskResult model (``CELERY_RESULTS_TASKRESULT_MODEL``)."""
    return cast(
        "type[AbstractTaskResult]", _get_swappable_model(TASKRESULT_MODEL, AbstractTaskResult)
    )


def get_group_result_model() -> type[AbstractGroupResult]:
    """Return the active GroupResult model (``CELERY_RESULTS_GROUPRESULT_MODEL``)."""
    return cast(
        "type[AbstractGroupResult]", _get_swappable_model(GROUPRESULT_MODEL, AbstractGroupResult)
    )


forget_when_changed(
    _get_swappable_model.cache_clear, settings=(TASKRESULT_MODEL, GROUPRESULT_MODEL)
)
