"""System checks of the results API: a misconfiguration fails at start-up, not on a request.

Ids: E001-E006 and E008 the ``RESULTS_API`` settings, E007 an app the API
needs that is missing from ``INSTALLED_APPS``, E009 drf-spectacular
installed without its schema class as DRF's ``DEFAULT_SCHEMA_CLASS``, E010
the dashboard mounted where it cannot find the API.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from .conf import IMPORT_STRINGS, SETTING_NAME, api_settings

# The apps the API needs, with what each one gives it.
REQUIRED_APPS = {
    "rest_framework": "Django REST framework, whose templates render the browsable API",
    "django_filters": "django-filter, whose templates render the filter forms",
    "django_celery_results": "the result store whose models the API reads",
}


@register()
def check_required_apps(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Return an error for each app the API needs that ``INSTALLED_APPS`` lacks."""
    return [
        Error(
            f"results_api needs {name!r} in INSTALLED_APPS ({purpose}).",
            hint=f'Add "{name}" to INSTALLED_APPS, before "results_api".',
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
            "drf_spectacular is in INSTALLED_APPS, but REST_FRAMEWORK['DEFAULT_SCHEMA_CLASS'] "
            f"is {schema_class!r}, so the OpenAPI schema of the results API cannot be built.",
            hint=f'Set REST_FRAMEWORK = {{"DEFAULT_SCHEMA_CLASS": "{SPECTACULAR_SCHEMA}"}}.',
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
        return [Error(str(exc), hint="Remove or correct the keys.", id="results_api.E001")]
    errors = []
    for name in sorted(IMPORT_STRINGS):
        try:
            getattr(api_settings, name)
        except ImportError as exc:
            errors.append(
                Error(
                    f"{SETTING_NAME}[{name!r}] cannot be imported: {exc}",
                    hint="Give a dotted path to an importable object.",
                    id="results_api.E002",
                )
            )
    page_size, max_page_size = api_settings.PAGE_SIZE, api_settings.MAX_PAGE_SIZE
    if not (isinstance(page_size, int) and isinstance(max_page_size, int)) or not (
        1 <= page_size <= max_page_size
    ):
        errors.append(
            Error(
                f"{SETTING_NAME}['PAGE_SIZE'] and ['MAX_PAGE_SIZE'] must be whole numbers "
                f"with 1 <= PAGE_SIZE <= MAX_PAGE_SIZE, not {page_size!r} and {max_page_size!r}.",
                id="results_api.E003",
            )
        )
    errors.extend(_check_excluded_fields())
    errors.extend(_check_rollup_dimensions())
    errors.extend(_check_throttle_rates())
    errors.extend(_check_operator_values())
    return errors


def _check_throttle_rates() -> list[Error]:
    from .throttling import READ_SCOPE, SCOPE_BY_ACTION, EndpointRateThrottle, throttle_rates

    rates = api_settings.THROTTLE_RATES
    scopes = {READ_SCOPE, *SCOPE_BY_ACTION.values()}
    problems = []
    if not isinstance(rates, dict):
        problems.append(f"must be a dict of scope to rate, not {type(rates).__name__}")
    else:
        problems += [f"has unknown scope {scope!r}" for scope in sorted(set(rates) - scopes)]
        for scope, rate in sorted(throttle_rates().items()):
            try:
                if rate is not None:
                    EndpointRateThrottle().parse_rate(rate)
            except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                problems.append(f"has the unreadable rate {rate!r} for {scope!r}")
    return [
        Error(
            f"{SETTING_NAME}['THROTTLE_RATES'] {problem}.",
            hint=f'Scopes: {", ".join(sorted(scopes))}; rates like "60/minute", or None.',
            id="results_api.E005",
        )
        for problem in problems
    ]


def _check_operator_values() -> list[Error]:
    from django.conf import settings

    problems = []
    overlap = api_settings.UPDATED_SINCE_OVERLAP
    if isinstance(overlap, bool) or not isinstance(overlap, (int, float)) or overlap < 0:
        problems.append(("UPDATED_SINCE_OVERLAP", "a number of seconds, 0 or more", overlap))
    chunk_size = api_settings.EXPORT_CHUNK_SIZE
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        problems.append(("EXPORT_CHUNK_SIZE", "a whole number, 1 or more", chunk_size))
    keys = api_settings.REDACT_KEYS
    if isinstance(keys, str) or not all(isinstance(key, str) for key in keys or ()):
        problems.append(("REDACT_KEYS", "a list of key names", keys))
    permission = api_settings.TRACEBACK_PERMISSION
    try:
        if permission is not None:
            permission.format(app_label="app", model_name="model")
    except (AttributeError, KeyError, IndexError, ValueError):
        expected = '"app_label.codename" (which may use {app_label} and {model_name})'
        problems.append(("TRACEBACK_PERMISSION", expected, permission))
    limits = (("ROLLUP_LAG", 0), ("ROLLUP_STEP", 1), ("TRACEBACK_PERMISSION_CACHE_SECONDS", 0))
    for name, least in limits:
        value = getattr(api_settings, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < least:
            problems.append((name, f"a number of seconds, {least} or more", value))
    limit = api_settings.FILTER_CHOICES_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        problems.append(("FILTER_CHOICES_LIMIT", "a whole number, 0 or more", limit))
    poll = api_settings.DASHBOARD_POLL_INTERVAL
    if isinstance(poll, bool) or not isinstance(poll, (int, float)) or not (poll == 0 or poll >= 1):
        problems.append(("DASHBOARD_POLL_INTERVAL", "0 or a number of seconds, 1 or more", poll))
    api_url = api_settings.DASHBOARD_API_URL
    if api_url is not None and not (isinstance(api_url, str) and api_url.endswith("/")):
        problems.append(("DASHBOARD_API_URL", 'None or a URL ending in "/"', api_url))
    cache = api_settings.THROTTLE_CACHE
    if cache not in getattr(settings, "CACHES", {"default": None}):
        problems.append(("THROTTLE_CACHE", "an alias of CACHES", cache))
    return [
        Error(
            f"{SETTING_NAME}[{name!r}] must be {expected}, not {value!r}.",
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
    fields = {field.name for field in model._meta.concrete_fields} - {"status"}
    if isinstance(names, str) or not all(name in fields for name in names):
        return [
            Error(
                f"{SETTING_NAME}['ROLLUP_DIMENSIONS'] must be None or a list of fields "
                f"of {model._meta.label} other than status, not {names!r}.",
                hint="Name fields with few values: a foreign key, choices, a boolean, a name.",
                id="results_api.E008",
            )
        ]
    return []


def _check_excluded_fields() -> list[Error]:
    from django_celery_results.models import get_task_result_model

    from .introspection import get_excluded_names

    try:
        model = get_task_result_model()
    except ImproperlyConfigured:
        return []  # django_celery_results' own checks report the model setting
    try:
        get_excluded_names(model)
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="Name fields of the API.", id="results_api.E004")]
    return []


@register(Tags.urls)
def check_dashboard_finds_the_api(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Return an error when the dashboard is mounted but cannot tell where the API is."""
    from django.urls import NoReverseMatch, reverse

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
                "The dashboard (results_api.dashboard.urls) is mounted, but the results API "
                "is not, under its namespace results_api.",
                hint=(
                    'Add path("api/results/", include("results_api.urls")) to the URLconf, or '
                    f"set {SETTING_NAME}['DASHBOARD_API_URL'] to where the API is."
                ),
                id="results_api.E010",
            )
        ]
    return []
