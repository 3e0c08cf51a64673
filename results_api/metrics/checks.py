"""System checks of the metrics settings: a label that cannot be one fails at start-up.

Ids: E020 a label or histogram label that cannot label metrics, E021
bucket bounds that are not positive numbers, E022 a series cap that is
not a positive integer; W020 a label whose values could each be a series
(the worker's host name, free text, a number), W021 a short metrics token.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from ..conf import SETTING_NAME, api_settings

SHORTEST_TOKEN = 24


@register()
def check_metrics_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check the ``METRICS_*`` keys of ``RESULTS_API`` against the active task result model."""
    if not apps.is_installed("django_celery_results"):
        return []  # results_api.E007 names the app
    try:
        api_settings.METRICS_LABELS  # noqa: B018 - unknown keys are results_api.E001's
    except ImproperlyConfigured:
        return []
    return [*_check_labels(), *_check_buckets(), *_check_series(), *_check_token()]


def _check_labels() -> list[CheckMessage]:
    from django_celery_results.models import get_task_result_model

    from .labels import label_set, many_valued_labels

    try:
        model = get_task_result_model()
    except ImproperlyConfigured:
        return []  # django_celery_results' own checks report the model setting
    try:
        label_set(model)
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                hint=_("Name fields with few values: a foreign key, choices, a boolean."),
                id="results_api.E020",
            )
        ]
    return [
        Warning(
            _(
                "%(setting)s['METRICS_LABELS'] names %(name)r, whose values could be as many "
                "as the tasks: each value is a series of every metric in Prometheus."
            )
            % {"setting": SETTING_NAME, "name": name},
            hint=_(
                "Keep it only if it holds a handful of values; METRICS_MAX_SERIES caps the "
                'combinations, counting the rest as "__overflow__".'
            ),
            id="results_api.W020",
        )
        for name in many_valued_labels(model)
    ]


def _check_buckets() -> list[CheckMessage]:
    bounds = api_settings.METRICS_BUCKETS
    valid = (
        isinstance(bounds, list | tuple)
        and bounds
        and all(
            isinstance(bound, int | float)
            and not isinstance(bound, bool)
            and 0 < bound < float("inf")
            for bound in bounds
        )
    )
    if valid and len(set(bounds)) == len(bounds):
        return []
    return [
        Error(
            _(
                "%(setting)s['METRICS_BUCKETS'] must be a list of distinct positive "
                "numbers, not %(value)r."
            )
            % {"setting": SETTING_NAME, "value": bounds},
            hint=_("Give the buckets' upper bounds in seconds; +Inf is added."),
            id="results_api.E021",
        )
    ]


def _check_series() -> list[CheckMessage]:
    cap = api_settings.METRICS_MAX_SERIES
    if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0:
        return []
    return [
        Error(
            _("%(setting)s['METRICS_MAX_SERIES'] must be a positive integer, not %(value)r.")
            % {"setting": SETTING_NAME, "value": cap},
            id="results_api.E022",
        )
    ]


def _check_token() -> list[CheckMessage]:
    token = api_settings.METRICS_TOKEN
    if token is None or (isinstance(token, str) and len(token) >= SHORTEST_TOKEN):
        return []
    return [
        Warning(
            _("%(setting)s['METRICS_TOKEN'] is shorter than %(length)d characters: guessable.")
            % {"setting": SETTING_NAME, "length": SHORTEST_TOKEN},
            hint=_(
                'Use a random one, e.g. python -c "import secrets; print(secrets.token_urlsafe())".'
            ),
            id="results_api.W021",
        )
    ]
