"""Redaction: secret values masked in ``args``, ``kwargs`` and ``result``; tracebacks by permission.

    RESULTS_API = {
        "REDACT_KEYS": ["password", "token", "card_number"],
        "REDACT_HOOK": "myapp.results.is_secret",  # f(key) -> bool, for patterns
        "TRACEBACK_PERMISSION": "myapp.view_traceback",
    }

The value of every mapping key that ``REDACT_KEYS`` names (case-insensitive)
or ``REDACT_HOOK`` accepts is replaced by ``REDACT_MASK``, at any depth. The
serializer applies it, so the JSON, the browsable API and the CSV export
all show the same masked values.

``args`` and ``kwargs`` are usually Celery's reprs (``"{'password': 'x'}"``),
so they are parsed as Python literals, masked and rendered again. A repr
that does not parse (cut short by Celery, or holding an object's repr) is
masked by pattern: the simple value (a string, number, ``None``...) after a
secret ``'key':`` is replaced; if any secret key's value is not that simple,
the whole field is masked, since its end cannot be found for sure.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver

from .conf import SETTING_NAME, api_settings
from .permission_cache import has_permission
from .reprs import NotALiteral, parse_literal, render_literal

__all__ = [
    "is_secret_key",
    "may_see_traceback",
    "redact_arguments",
    "redact_data",
    "redact_repr",
    "traceback_permission",
]

# A quoted key followed by a colon, as a dict repr writes it: 'password': or "pass'word":
_KEY = re.compile(r"""(?P<q>['"])(?P<key>(?:(?!(?P=q))[^\\\n]|\\.)*)(?P=q)\s*:\s*""")
# A value whose end is certain: a closed string, a number or a name, then , or }
_SIMPLE_VALUE = re.compile(
    r"""(?:[bBuU]?'(?:[^'\\\n]|\\.)*'|[bBuU]?"(?:[^"\\\n]|\\.)*"|[-+]?[\w.]+)(?=\s*[,}])"""
)


@functools.cache
def _secret_keys() -> frozenset[str]:
    return frozenset(str(key).casefold() for key in api_settings.REDACT_KEYS)


def is_secret_key(key: Any) -> bool:
    """Return whether the value under ``key`` is masked (``REDACT_KEYS`` or ``REDACT_HOOK``)."""
    if not isinstance(key, str):
        return False
    if key.casefold() in _secret_keys():
        return True
    hook = api_settings.REDACT_HOOK
    return bool(hook is not None and hook(key))


def _redacting() -> bool:
    return bool(_secret_keys()) or api_settings.REDACT_HOOK is not None


def _mask(value: Any) -> tuple[Any, bool]:
    """Return ``value`` with secret keys' values masked, and whether anything was."""
    if isinstance(value, dict):
        masked, changed = {}, False
        for key, item in value.items():
            if is_secret_key(key):
                masked[key], changed = api_settings.REDACT_MASK, True
            else:
                masked[key], item_changed = _mask(item)
                changed = changed or item_changed
        return masked, changed
    if isinstance(value, (list, tuple)):
        items = [_mask(item) for item in value]
        if not any(changed for _, changed in items):
            return value, False
        return type(value)(item for item, _ in items), True
    return value, False


def redact_data(value: Any) -> Any:
    """Return decoded JSON (or a parsed literal) with the secret keys' values masked."""
    if not _redacting():
        return value
    return _mask(value)[0]


def redact_repr(text: str) -> str:
    """Return a Python repr with the secret keys' values masked, unchanged if it has none."""
    if not _redacting():
        return text
    secret = [match for match in _KEY.finditer(text) if is_secret_key(match["key"])]
    if not secret:
        return text
    try:
        value = parse_literal(text)
    except NotALiteral:
        return _mask_by_pattern(text, secret)
    masked, changed = _mask(value)
    return render_literal(masked) if changed else text


def _mask_by_pattern(text: str, secret: list[re.Match[str]]) -> str:
    """Mask the simple value after each secret key; the whole text if one is not simple."""
    spans = []
    for match in secret:
        value = _SIMPLE_VALUE.match(text, match.end())
        if value is None:
            return api_settings.REDACT_MASK
        spans.append(value.span())
    pieces, position = [], 0
    for start, end in sorted(spans):
        if start < position:
            continue  # a key inside a value already masked
        pieces += [text[position:start], repr(api_settings.REDACT_MASK)]
        position = end
    return "".join([*pieces, text[position:]])


def redact_arguments(value: Any) -> Any:
    """Return stored ``args``/``kwargs`` masked: a repr string, or decoded JSON."""
    if isinstance(value, str):
        return redact_repr(value)
    return redact_data(value)


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


@receiver(setting_changed)
def _clear_on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING_NAME:
        _secret_keys.cache_clear()
