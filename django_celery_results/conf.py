"""The flat ``CELERY_RESULTS_*`` settings of the result store, with their defaults.

Settings are read when used, never at import time, so ``override_settings``
works in tests; what is resolved from them is cached until they change
(:mod:`django_celery_results.setting_caches`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .setting_caches import cached_setting

TASKRESULT_MODEL = "CELERY_RESULTS_TASKRESULT_MODEL"
GROUPRESULT_MODEL = "CELERY_RESULTS_GROUPRESULT_MODEL"
EXTEND_TASK_PROPS_CALLBACK = "CELERY_RESULTS_EXTEND_TASK_PROPS_CALLBACK"
TASK_ID_MAX_LENGTH = "DJANGO_CELERY_RESULTS_TASK_ID_MAX_LENGTH"
CLEANUP_BATCH_SIZE = "CELERY_RESULTS_CLEANUP_BATCH_SIZE"
PREPARED_STATEMENTS = "CELERY_RESULTS_PREPARED_STATEMENTS"
CLOSE_CONNECTIONS_AFTER_EACH_TASK = "CELERY_RESULTS_CLOSE_CONNECTIONS_AFTER_EACH_TASK"
TRACK_SENT = "CELERY_RESULTS_TRACK_SENT"
UNFINISHED_EXPIRES = "CELERY_RESULTS_UNFINISHED_EXPIRES"
STATUS_VIEWS_PUBLIC = "CELERY_RESULTS_STATUS_VIEWS_PUBLIC"
SCOPE_QUERYSET = "CELERY_RESULTS_SCOPE_QUERYSET"
REDACT_KEYS = "CELERY_RESULTS_REDACT_KEYS"
REDACT_HOOK = "CELERY_RESULTS_REDACT_HOOK"
REDACT_MASK = "CELERY_RESULTS_REDACT_MASK"

DEFAULTS: dict[str, Any] = {
    # The model that stores task results, as "app_label.ModelName". It must
    # subclass django_celery_results.models.abstract.AbstractTaskResult.
    TASKRESULT_MODEL: "django_celery_results.TaskResult",
    # The model that stores group results; it must subclass AbstractGroupResult.
    GROUPRESULT_MODEL: "django_celery_results.GroupResult",
    # f(request, task_properties) -> dict, or its dotted path. Its keys name
    # fields of the task result model; the values are stored with each state.
    EXTEND_TASK_PROPS_CALLBACK: None,
    # Longest task and group id stored (upstream name). Changing it needs a migration.
    TASK_ID_MAX_LENGTH: 255,
    # Rows removed per DELETE statement when expired results are cleaned up.
    CLEANUP_BATCH_SIZE: 5000,
    # Store results through server-side prepared statements on PostgreSQL
    # (psycopg 3). Turn off behind a pooler that cannot keep them (PgBouncer
    # in transaction mode before 1.21).
    PREPARED_STATEMENTS: True,
    # Keep Celery's own handling of a worker's database connections: every
    # one closed before and after each task. By default a connection is only
    # closed at a task boundary when unusable, left in a transaction or older
    # than CONN_MAX_AGE, as Django does between requests.
    CLOSE_CONNECTIONS_AFTER_EACH_TASK: False,
    # Store a PENDING row for each task when it is sent (delay, apply_async,
    # send_task, canvas), so that queued tasks and their waiting time show.
    TRACK_SENT: False,
    # How long a row that never reached a final state (PENDING, STARTED,
    # RETRY, ...) is kept after its last stored state: a timedelta or
    # seconds. None: the same as Celery's result_expires.
    UNFINISHED_EXPIRES: None,
    # The JSON status views (django_celery_results.urls) answer only users with
    # the view permission of the active task result model. True answers anyone
    # who knows a task or group id, as django-celery-results did: the id is
    # then the only secret (masking still applies; tracebacks need the permission).
    STATUS_VIEWS_PUBLIC: False,
    # f(request, queryset) -> queryset, or its dotted path: the rows a request
    # may see on the status views (task and group querysets alike; see
    # queryset.model). The results API uses it too unless RESULTS_API sets its own.
    SCOPE_QUERYSET: None,
    # Mapping keys whose values are masked wherever stored content is shown
    # (case-insensitive, any depth; see django_celery_results.masking).
    REDACT_KEYS: [
        "password",
        "passwd",
        "secret",
        "token",
        "access_token",
        "refresh_token",
        "api_key",
        "apikey",
        "authorization",
        "private_key",
        "client_secret",
    ],
    # f(key) -> bool, or its dotted path: True masks that key's value too.
    REDACT_HOOK: None,
    # What a masked value shows instead.
    REDACT_MASK: "********",
}


def get_setting(name: str) -> Any:
    """Return the project's value of ``name``, or its documented default."""
    return getattr(settings, name, DEFAULTS[name])


def _callable_setting(name: str) -> Callable[..., Any] | None:
    """Return the callable that setting ``name`` gives, importing a dotted path.

    Raises ``ImproperlyConfigured`` naming the setting when it cannot be used.
    """
    value = get_setting(name)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = import_string(value)
        except ImportError as exc:
            raise ImproperlyConfigured(
                _("%(setting)s = %(value)r cannot be imported: %(error)s")
                % {"setting": name, "value": value, "error": exc}
            ) from exc
    if not callable(value):
        raise ImproperlyConfigured(
            _("%(setting)s must be a callable or the dotted path of one, not %(type)s.")
            % {"setting": name, "type": type(value).__name__}
        )
    return value


@cached_setting(EXTEND_TASK_PROPS_CALLBACK)
def get_extend_task_props_callback() -> Callable[[Any, dict], Any] | None:
    """Return the extend-task-props callback, importing it once if given by path."""
    return _callable_setting(EXTEND_TASK_PROPS_CALLBACK)


@cached_setting(SCOPE_QUERYSET)
def get_scope_hook() -> Callable[[Any, Any], Any] | None:
    """Return the ``CELERY_RESULTS_SCOPE_QUERYSET`` hook, importing it once if given by path."""
    return _callable_setting(SCOPE_QUERYSET)


def apply_scope_hook(request: Any, queryset: QuerySet) -> QuerySet:
    """Return ``queryset`` narrowed by ``CELERY_RESULTS_SCOPE_QUERYSET``, if it is set."""
    hook = get_scope_hook()
    if hook is None:
        return queryset
    scoped = hook(request, queryset)
    if not isinstance(scoped, QuerySet):
        raise ImproperlyConfigured(
            _("%(setting)s must return a QuerySet, not %(type)s.")
            % {"setting": SCOPE_QUERYSET, "type": type(scoped).__name__}
        )
    return scoped


@cached_setting(REDACT_HOOK)
def get_redact_hook() -> Callable[[str], bool] | None:
    """Return the ``CELERY_RESULTS_REDACT_HOOK`` function, importing it once if given by path."""
    return _callable_setting(REDACT_HOOK)


@cached_setting(PREPARED_STATEMENTS)
def use_prepared_statements() -> bool:
    """Return ``CELERY_RESULTS_PREPARED_STATEMENTS``, read once: it is asked on every write."""
    return bool(get_setting(PREPARED_STATEMENTS))


@cached_setting(TRACK_SENT)
def track_sent() -> bool:
    """Return ``CELERY_RESULTS_TRACK_SENT``, read once: it is asked on every sent task."""
    return bool(get_setting(TRACK_SENT))
