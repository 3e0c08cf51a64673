"""System checks of the results API: a misconfiguration fails at start-up, not on a request.

Ids: E001-E006 and E008 the ``RESULTS_API`` settings, E007 an app the API
needs that is missing from ``INSTALLED_APPS``, E009 drf-spectacular
installed without its schema class as DRF's ``DEFAULT_SCHEMA_CLASS``, E010
the dashboard mounted where it cannot find the API. (W001-W002, which
warned of a scope or masking rule of ``RESULTS_API`` that the status views
could not follow, are gone with those keys: the store's settings are the
only ones.)
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from django_celery_results.columns import concrete_fields

from .conf import IMPORT_STRINGS, SETTING_NAME, api_settings

# The apps the API needs, with what each one gives it.
REQUIRED_APPS = {
    "rest_framework": gettext_lazy(
        "Django REST framework, whose templates render the browsable API"
    ),
    "django_filters": gettext_lazy("django-filter, whose templates render the filter forms"),
    "django_celery_results": gettext_lazy("the result store whose models the API reads"),
}


@register()
def check_required_apps(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Return an error for each app the API needs that ``INSTALLED_APPS`` lacks."""
    return [
        Error(
            _("results_api needs %(app)r in INSTALLED_APPS (%(purpose)s).")
            % {"app": name, "purpose": purpose},
            hint=_('Add "%(app)s" to INSTALLED_APPS, before "results_api".') % {"app": name},
            id="results_api.E007",
        )
        for name, purpose in REQUIRED_APPS.items()
        if not apps.is_installed(name)
    ]


SPECTACULAR_SCHEMA = "drf_spectacular.openapi.AutoSchema"


@register()
def check_schema_class(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Return an error when drf-spectacular is installed but DRF's schema class is not its own.

    The schema view would otherwise fail on an assertion naming an internal class.
    """
    if not apps.is_installed("drf_spectacular"):
        return []
    from drf_spectacular.openapi import AutoSchema
    from rest_framework.settings import api_settings as drf_settings

    try:
        schema_class = drf_settings.DEFAULT_SCHEMA_CLASS
    except ImportError:
        schema_class = None
    if isinstance(schema_class, type) and issubclass(schema_class, AutoSchema):
        return []
    return [
        Error(
            _(
                "drf_spectacular is in INSTALLED_APPS, but REST_FRAMEWORK['DEFAULT_SCHEMA_CLASS'] "
                "is %(value)r, so the OpenAPI schema of the results API cannot be built."
            )
            % {"value": schema_class},
            hint=_("Set %(setting)s.")
            % {"setting": f'REST_FRAMEWORK = {{"DEFAULT_SCHEMA_CLASS": "{SPECTACULAR_SCHEMA}"}}'},
            id="results_api.E009",
        )
    ]


@register()
def check_results_api_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Return errors for unknown keys, unimportable paths and bad values."""
    if not all(apps.is_installed(name) for name in REQUIRED_APPS):
        return []  # the settings' classes cannot be imported; check_required_apps speaks
    try:
        api_settings.user_settings  # noqa: B018
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint=_("Remove or correct the keys."), id="results_api.E001")]
    errors = []
    for name in sorted(IMPORT_STRINGS):
        try:
            getattr(api_settings, name)
        except ImportError as exc:
            errors.append(
                Error(
                    _("%(setting)s[%(key)r] cannot be imported: %(error)s")
                    % {"setting": SETTING_NAME, "key": name, "error": exc},
                    hint=_("Give a dotted path to an importable object."),
                    id="results_api.E002",
                )
            )
    page_size, max_page_size = api_settings.PAGE_SIZE, api_settings.MAX_PAGE_SIZE
    if not (isinstance(page_size, int) and isinstance(max_page_size, int)) or not (
        1 <= page_size <= max_page_size
    ):
        errors.append(
            Error(
                _(
                    "%(setting)s['PAGE_SIZE'] and ['MAX_PAGE_SIZE'] must be whole numbers with "
                    "1 <= PAGE_SIZE <= MAX_PAGE_SIZE, not %(page_size)r and %(max_page_size)r."
                )
                % {"setting": SETTING_NAME, "page_size": page_size, "max_page_size": max_page_size},
                id="results_api.E003",
            )
        )
    errors.extend(_check_excluded_fields())
    errors.extend(_check_rollup_dimensions())
    errors.extend(_check_throttle_rates())
    errors.extend(_check_operator_values())
    return errors


def _check_throttle_rates() -> list[Error]:
    from .rest.throttling import (
        READ_SCOPE,
        SCOPE_BY_ACTION,
        AuthFailureThrottle,
        EndpointRateThrottle,
        throttle_rates,
    )

    rates = api_settings.THROTTLE_RATES
    scopes = {READ_SCOPE, AuthFailureThrottle.scope, *SCOPE_BY_ACTION.values()}
    problems = []
    if not isinstance(rates, dict):
        problems.append(
            _("must be a dict of scope to rate, not %(type)s") % {"type": type(rates).__name__}
        )
    else:
        problems += [
            _("has unknown scope %(scope)r") % {"scope": scope}
            for scope in sorted(set(rates) - scopes)
        ]
        for scope, rate in sorted(throttle_rates().items()):
            try:
                if rate is not None:
                    EndpointRateThrottle().parse_rate(rate)
            except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                problems.append(
                    _("has the unreadable rate %(rate)r for %(scope)r")
                    % {"rate": rate, "scope": scope}
                )
    return [
        Error(
            _("%(setting)s['THROTTLE_RATES'] %(problem)s.")
            % {"setting": SETTING_NAME, "problem": problem},
            hint=_('Scopes: %(scopes)s; rates like "60/minute", or None.')
            % {"scopes": ", ".join(sorted(scopes))},
            id="results_api.E005",
        )
        for problem in problems
    ]


def seconds_at_least(least: int) -> str:
    """Return "a number of seconds, N or more", translated."""
    return _("a number of seconds, %(least)s or more") % {"least": least}


def _check_operator_values() -> list[Error]:
    from django.conf import settings

    problems = []
    overlap = api_settings.UPDATED_SINCE_OVERLAP
    if isinstance(overlap, bool) or not isinstance(overlap, (int, float)) or overlap < 0:
        problems.append(("UPDATED_SINCE_OVERLAP", seconds_at_least(0), overlap))
    chunk_size = api_settings.EXPORT_CHUNK_SIZE
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        problems.append(("EXPORT_CHUNK_SIZE", _("a whole number, 1 or more"), chunk_size))
    permission = api_settings.TRACEBACK_PERMISSION
    try:
        if permission is not None:
            permission.format(app_label="app", model_name="model")
    except (AttributeError, KeyError, IndexError, ValueError):
        expected = _('"app_label.codename" (which may use {app_label} and {model_name})')
        problems.append(("TRACEBACK_PERMISSION", expected, permission))
    limits = (
        ("ROLLUP_LAG", 0),
        ("ROLLUP_STEP", 1),
        ("TRACEBACK_PERMISSION_CACHE_SECONDS", 0),
        ("SEARCH_INDEX_LAG", 0),
    )
    for name, least in limits:
        value = getattr(api_settings, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < least:
            problems.append((name, seconds_at_least(least), value))
    for name in ("FILTER_CHOICES_LIMIT", "SEARCH_SCAN_LIMIT"):
        limit = getattr(api_settings, name)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            problems.append((name, _("a whole number, 0 or more"), limit))
    poll = api_settings.DASHBOARD_POLL_INTERVAL
    if isinstance(poll, bool) or not isinstance(poll, (int, float)) or not (poll == 0 or poll >= 1):
        problems.append(("DASHBOARD_POLL_INTERVAL", _("0 or a number of seconds, 1 or more"), poll))
    api_url = api_settings.DASHBOARD_API_URL
    if api_url is not None and not (isinstance(api_url, str) and api_url.endswith("/")):
        problems.append(("DASHBOARD_API_URL", _('None or a URL ending in "/"'), api_url))
    cache = api_settings.THROTTLE_CACHE
    if cache not in getattr(settings, "CACHES", {"default": None}):
        problems.append(("THROTTLE_CACHE", _("an alias of CACHES"), cache))
    return [
        Error(
            _("%(setting)s[%(key)r] must be %(expected)s, not %(value)r.")
            % {"setting": SETTING_NAME, "key": name, "expected": expected, "value": value},
            id="results_api.E006",
        )
        for name, expected, value in problems
    ]


def _check_rollup_dimensions() -> list[Error]:
    from django_celery_results.models import get_task_result_model

    names = api_settings.ROLLUP_DIMENSIONS
    if names is None:
        return []
    try:
        model = get_task_result_model()
    except ImproperlyConfigured:
        return []  # django_celery_results' own checks report the model setting
    fields = {field.name for field in concrete_fields(model)} - {"status"}
    if isinstance(names, str) or not all(name in fields for name in names):
        return [
            Error(
                _(
                    "%(setting)s['ROLLUP_DIMENSIONS'] must be None or a list of fields "
                    "of %(model)s other than status, not %(value)r."
                )
                % {"setting": SETTING_NAME, "model": model._meta.label, "value": names},
                hint=_("Name fields with few values: a foreign key, choices, a boolean, a name."),
                id="results_api.E008",
            )
        ]
    return []


def _check_excluded_fields() -> list[Error]:
    from django_celery_results.models import get_task_result_model

    from .fields.rules import get_excluded_names

    try:
        model = get_task_result_model()
    except ImproperlyConfigured:
        return []  # django_celery_results' own checks report the model setting
    try:
        get_excluded_names(model)
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint=_("Name fields of the API."), id="results_api.E004")]
    return []


@register(Tags.urls)
def check_dashboard_finds_the_api(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Return an error when the dashboard is mounted but cannot tell where the API is."""
    try:
        if api_settings.DASHBOARD_API_URL is not None:
            return []
    except ImproperlyConfigured:
        return []  # results_api.E001 reports the settings
    try:
        reverse("results_dashboard:index")
    except NoReverseMatch:
        return []  # no dashboard mounted
    try:
        reverse("results_api:task-list")
    except NoReverseMatch:
        return [
            Error(
                _(
                    "The dashboard (results_api.dashboard.urls) is mounted, but the results "
                    "API is not, under its namespace results_api."
                ),
                hint=_(
                    'Add path("api/results/", include("results_api.urls")) to the URLconf, or '
                    "set %(setting)s['DASHBOARD_API_URL'] to where the API is."
                )
                % {"setting": SETTING_NAME},
                id="results_api.E010",
            )
        ]
    return []
