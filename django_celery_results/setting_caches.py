"""What is built from Django settings and kept, forgotten when one of those settings changes.

The one mechanism of both packages, as DRF reloads its own settings: a
function of no arguments decorated with ``@cached_setting(NAME, ...)`` is
computed once and computed again after ``NAME`` changes (``override_settings``
in tests, a reloading server); anything else kept (a class built per model,
a dictionary of lookups) registers its reset with ``forget_when_changed``.
One receiver of ``setting_changed`` calls the resets of the changed setting,
in the order they were registered.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = ["cached_setting", "forget_when_changed"]

T = TypeVar("T")

_resets: list[tuple[frozenset[str], Callable[[], Any]]] = []


def forget_when_changed(*resets: Callable[[], Any], settings: Iterable[str]) -> None:
    """Call each of ``resets`` (a cache's ``cache_clear``) whenever one of ``settings`` changes."""
    names = frozenset(settings)
    _resets.extend((names, reset) for reset in resets)


def cached_setting(*settings: str) -> Callable[[Callable[[], T]], Callable[[], T]]:
    """Cache a function of no arguments until one of ``settings`` changes."""

    def decorate(function: Callable[[], T]) -> Callable[[], T]:
        cached = functools.cache(function)
        forget_when_changed(cached.cache_clear, settings=settings)
        return cached

    return decorate


@receiver(setting_changed)
def _forget_on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    for names, reset in list(_resets):
        if setting in names:
            reset()
