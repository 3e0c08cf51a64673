"""Redaction in the API: secrets masked in ``args``, ``kwargs``, ``result``, ``meta``.

Tracebacks are shown by permission.

    CELERY_RESULTS_REDACT_KEYS = ["password", "token", "card_number"]
    CELERY_RESULTS_REDACT_HOOK = "myapp.results.is_secret"  # f(key) -> bool, for patterns
    RESULTS_API = {"TRACEBACK_PERMISSION": "myapp.view_traceback"}

The value of every mapping key that ``CELERY_RESULTS_REDACT_KEYS`` names
(case-insensitive) or ``CELERY_RESULTS_REDACT_HOOK`` accepts is replaced by
``CELERY_RESULTS_REDACT_MASK``, at any depth: the result store's rules, so
that the API, the dashboard, the search, the admin and the status views
mask alike. The masking itself, and exactly what it does and does not
reach, is :mod:`django_celery_results.masking`. The serializer applies it,
so the JSON, the browsable API and the CSV export all show the same masked
values.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models

from django_celery_results.masking import (
    MaskingRules,
    mask_arguments,
    mask_data,
    mask_repr,
    store_masking_rules,
)

from ..conf import api_settings
from .permission_cache import has_permission

__all__ = [
    "is_secret_key",
    "masking_rules",
    "may_redact",
    "may_see_traceback",
    "redact_arguments",
    "redact_data",
    "redact_repr",
    "traceback_permission",
]


def masking_rules() -> MaskingRules:
    """Return the masking rules: the store's ``CELERY_RESULTS_REDACT_*`` settings."""
    return store_masking_rules()


def is_secret_key(key: Any) -> bool:
    """Return whether the value under ``key`` is masked (``REDACT_KEYS`` or ``REDACT_HOOK``)."""
    return masking_rules().is_secret(key)


def may_redact(text: Any) -> bool:
    """Return False when stored JSON ``text`` holds nothing to mask (then it is shown decoded)."""
    return masking_rules().may_mask_json(text)


def redact_data(value: Any) -> Any:
    """Return decoded JSON (or a parsed literal) with the secret keys' values masked."""
    return mask_data(value, masking_rules())


def redact_repr(text: str) -> str:
    """Return a Python repr with the secret keys' values masked, unchanged if it has none."""
    return mask_repr(text, masking_rules())


def redact_arguments(value: Any) -> Any:
    """Return stored ``args``/``kwargs`` masked: a repr string, or decoded JSON."""
    return mask_arguments(value, masking_rules())


def traceback_permission(model: type[models.Model]) -> str | None:
    """Return the permission that shows tracebacks of ``model``, or None if none is needed."""
    permission = api_settings.TRACEBACK_PERMISSION
    if permission is None:
        return None
    return permission.format(app_label=model._meta.app_label, model_name=model._meta.model_name)


def may_see_traceback(user: Any, model: type[models.Model]) -> bool:
    """Return whether ``user`` may see the tracebacks of ``model`` (``TRACEBACK_PERMISSION``)."""
    permission = traceback_permission(model)
    if permission is None:
        return True
    return has_permission(user or AnonymousUser(), permission)
