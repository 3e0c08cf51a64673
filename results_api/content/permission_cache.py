"""Remember a user's answer to ``TRACEBACK_PERMISSION`` across requests, safely.

Django's permission backend asks the database on every request (two
queries for ``ModelBackend``). The answer is kept in the default cache for
``TRACEBACK_PERMISSION_CACHE_SECONDS``, under a generation that any change
of permissions, groups or their members moves on, so that the process that
makes the change, and every process sharing the cache, forgets all the
answers at once; a process with a cache of its own forgets within those seconds.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save

from ..conf import api_settings

GENERATION_KEY = "results_api:permissions:generation"


def has_permission(user: Any, permission: str) -> bool:
    """Return ``user.has_perm(permission)``, from the cache when it was asked lately."""
    seconds = api_settings.TRACEBACK_PERMISSION_CACHE_SECONDS
    if not seconds or not getattr(user, "is_authenticated", False) or user.pk is None:
        return bool(user.has_perm(permission))
    if user.is_active and user.is_superuser:
        return True  # what Django's backends answer, without a query
    generation = cache.get(GENERATION_KEY, 0)
    # is_active is in the key: a deactivated user is asked again at once.
    key = f"results_api:permission:{generation}:{user.pk}:{int(user.is_active)}:{permission}"
    answer = cache.get(key)
    if answer is None:
        answer = bool(user.has_perm(permission))
        cache.set(key, answer, seconds)
    return bool(answer)


def forget_answers(**kwargs: Any) -> None:
    """Move the generation on: every remembered answer is asked again."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not there yet (or evicted)
        cache.set(GENERATION_KEY, 1, None)


def connect_signals() -> None:
    """Forget the answers whenever permissions, groups or their members change."""
    user_model = get_user_model()
    for through in (
        getattr(user_model, "groups", None),
        getattr(user_model, "user_permissions", None),
        Group.permissions,
    ):
        if through is not None and hasattr(through, "through"):
            m2m_changed.connect(forget_answers, sender=through.through, weak=False)
    for model in (Group, Permission):
        post_save.connect(forget_answers, sender=model, weak=False)
        post_delete.connect(forget_answers, sender=model, weak=False)
