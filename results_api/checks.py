"""System checks of ``RESULTS_API``: a misconfiguration fails at start-up, not on a request."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from .conf import IMPORT_STRINGS, SETTING_NAME, api_settings


@register()
def check_results_api_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Return errors for unknown keys, unimportable paths, bad page sizes and exclusions."""
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
    return errors


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
