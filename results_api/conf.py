"""The ``RESULTS_API`` settings dict, read through ``api_settings`` with documented defaults.

    RESULTS_API = {
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "EXCLUDE_FIELDS": ["args", "kwargs"],
    }

The rules that protect what the store holds, whichever page shows it, are
the store's settings, read by the API too: the scope hook
(``CELERY_RESULTS_SCOPE_QUERYSET``) and the masking rules
(``CELERY_RESULTS_REDACT_KEYS``, ``_HOOK``, ``_MASK``). ``RESULTS_API`` keys
of those names are refused (``MOVED``), so that no page can follow other rules.

Values are read on first use (never at import time), dotted paths are
imported once, and everything is reloaded when ``RESULTS_API`` changes
(``override_settings`` in tests).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from rest_framework.settings import APISettings

from django_celery_results.setting_caches import forget_when_changed

SETTING_NAME = "RESULTS_API"

DEFAULTS: dict[str, Any] = {
    # Permission classes of every endpoint. Results hold arguments and
    # tracebacks, so only staff may read them unless the project says otherwise.
    "PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    # Authentication classes of every endpoint; None keeps REST_FRAMEWORK's
    # DEFAULT_AUTHENTICATION_CLASSES.
    "AUTHENTICATION_CLASSES": None,
    # The pagination class of the list endpoints.
    "PAGINATION_CLASS": "results_api.rest.pagination.KeysetCursorPagination",
    # Rows per page when the request gives no ?page_size=.
    "PAGE_SIZE": 50,
    # The largest ?page_size= accepted; a larger one is a 400.
    "MAX_PAGE_SIZE": 500,
    # Task fields neither serialised, filtered nor orderable, by their API
    # name ("args", "traceback", "tenant", ...).
    "EXCLUDE_FIELDS": [],
    # Unknown or repeated query parameters are a 400 (a typo must not silently
    # return everything). False ignores them, as DRF does by default.
    "STRICT_QUERY_PARAMS": True,
    # States accepted by ?status= and ?status__in= besides Celery's own, for
    # tasks that call update_state() with custom states ("PROGRESS").
    "EXTRA_STATES": [],
    # Base classes the per-model factories subclass: point these at your own
    # subclasses to add filters or serializer fields for every model.
    # The filter set of tasks/ (and of stats and export).
    "TASK_FILTERSET_CLASS": "results_api.rest.filters.TaskResultFilterSet",
    # The serializer of tasks/ and tasks/<task_id>/.
    "TASK_SERIALIZER_CLASS": "results_api.rest.serializers.TaskResultSerializer",
    # The filter set of groups/.
    "GROUP_FILTERSET_CLASS": "results_api.rest.filters.GroupResultFilterSet",
    # The serializer of groups/ and groups/<group_id>/.
    "GROUP_SERIALIZER_CLASS": "results_api.rest.serializers.GroupResultSerializer",
    # The most time buckets one tasks/stats/?interval= request may produce.
    "STATS_MAX_BUCKETS": 1000,
    # Answer tasks/stats/ from the rollup tables where they can (see docs/api.md,
    # "Stats from rollups"); False: always from the task table.
    "STATS_FROM_ROLLUPS": True,
    # Fields the rollup counts by, with status, which it always holds. None: the
    # task name, worker and periodic task name, and every extra field that is a
    # foreign key, has choices or is a boolean. Changing it rebuilds the rollup.
    "ROLLUP_DIMENSIONS": None,
    # Seconds a result's date_done must be in the past before the rollup counts
    # it: more than the slowest write takes to commit after stamping it.
    "ROLLUP_LAG": 120,
    # Seconds of results each run of the rollup adds at the head; stats read
    # the rest (at most ROLLUP_STEP + ROLLUP_LAG + the run's period: 4 minutes
    # with a run a minute) from the task table.
    "ROLLUP_STEP": 60,
    # Seconds that ?updated_since= reaches back before the time it is given:
    # a row whose write committed late, or whose worker's clock lags the
    # others', has a date_done a little before the last one a poll saw.
    # Make it larger than the worst clock skew plus the slowest write.
    "UPDATED_SINCE_OVERLAP": 5,
    # Rows fetched per round trip of the CSV export's server-side cursor.
    "EXPORT_CHUNK_SIZE": 2000,
    # POST tasks/<task_id>/revoke/ (with "terminate"): off unless True.
    "REVOKE_ENABLED": False,
    # Permission classes of revoke, checked after PERMISSION_CLASSES.
    "REVOKE_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    # POST tasks/<task_id>/retry/ (re-send with the stored arguments): off unless True.
    "RETRY_ENABLED": False,
    # Permission classes of retry, checked after PERMISSION_CLASSES.
    "RETRY_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    # Bulk actions over the tasks a filter selects (tasks/bulk/<action>/):
    # those listed are on, any of "retry", "revoke", "delete"; off by default.
    # Each also needs its own Django permission (results_api.bulk.permissions).
    "BULK_ACTIONS": [],
    # The most rows one bulk action may select: a preview over more is a 400.
    "BULK_MAX_ROWS": 100_000,
    # Rows acted on per transaction (and per batch of messages) by a bulk action.
    "BULK_BATCH_SIZE": 500,
    # Seconds a bulk action's preview token stays valid.
    "BULK_TOKEN_MAX_AGE": 600,
    # Seconds a bulk action pauses after each batch, per second the batch took:
    # it leaves the database (and the machine) to the workers storing results
    # that much of the time. 0 runs at full speed.
    "BULK_PAUSE_FACTOR": 2.0,
    # The Celery app that revokes and re-sends tasks, or its dotted path;
    # None: celery.current_app (the project's app once it is imported).
    "CELERY_APP": None,
    # The permission a user needs to see tracebacks (others get null), with
    # {app_label} and {model_name} of the active task result model filled in.
    # The default is the admin's view permission; None shows them to every reader.
    "TRACEBACK_PERMISSION": "{app_label}.view_{model_name}",
    # Seconds a user's answer to TRACEBACK_PERMISSION is remembered in the
    # default cache. Changes of permissions and groups forget every answer at
    # once in the processes sharing that cache; 0 asks on every request.
    "TRACEBACK_PERMISSION_CACHE_SECONDS": 60,
    # Throttle classes of every endpoint; each request counts against the
    # scope of its endpoint (see THROTTLE_RATES). [] turns throttling off.
    "THROTTLE_CLASSES": ["results_api.rest.throttling.EndpointRateThrottle"],
    # Requests per client (user, or address when anonymous) and scope, as
    # "number/second|minute|hour|day"; None lifts a scope's limit. Keys you
    # leave out keep these defaults.
    "THROTTLE_RATES": {
        # tasks/, tasks/<task_id>/, groups/: a dashboard polling every few seconds.
        "read": "600/minute",
        # tasks/stats/: one aggregate query over every matching row.
        "stats": "120/minute",
        # tasks/export/: streams every matching row.
        "export": "10/hour",
        # tasks/<task_id>/revoke/ and retry/.
        "actions": "30/minute",
        # Failed log-ins per address (wrong HTTP basic password, bad token): past
        # it, the address gets a 429 before its credentials are checked.
        "auth_failures": "20/minute",
    },
    # The cache alias where throttles count requests; share one (Redis,
    # Memcached) between processes, or each process counts on its own.
    "THROTTLE_CACHE": "default",
    # The most values tasks/metadata/ lists for a foreign key's select (the
    # related rows the caller's results point at); past it, a box for the key.
    "FILTER_CHOICES_LIMIT": 200,
    # The metrics endpoint (results_api.metrics, see docs/metrics.md). A scraper
    # sending "Authorization: Bearer <token>" with this token reads every series;
    # None: only the API's authentication and permission classes admit one.
    "METRICS_TOKEN": None,
    # Extra task fields that label the counters and gauges, besides the task
    # name and state. None: every extra field that is a foreign key, has choices
    # or is a boolean. Each value is a series: keep them few.
    "METRICS_LABELS": None,
    # Of METRICS_LABELS, those that label the runtime and waiting-time
    # histograms too (each value multiplies their 21 samples per task name).
    "METRICS_HISTOGRAM_LABELS": [],
    # The upper bounds (seconds) of the histograms' buckets; +Inf is added.
    "METRICS_BUCKETS": [
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
        1,
        2.5,
        5,
        10,
        30,
        60,
        120,
        300,
        600,
        1800,
        3600,
    ],
    # The most label combinations the counters hold; results of further
    # combinations are counted with their extra labels set to "__overflow__".
    "METRICS_MAX_SERIES": 10000,
    # Seconds the search index (results_api.search) stays behind the newest
    # writes: rows changed since are matched live. A write that commits later
    # than this after its date_done may be missed by the index until --rebuild.
    "SEARCH_INDEX_LAG": 60,
    # The most rows a search masks and matches live (those the index has not
    # reached yet, after every other filter): past it, a 503 that says to run
    # index_task_search. 0 matches none live (every search is a 503 until indexed).
    "SEARCH_SCAN_LIMIT": 20_000,
    # Where the dashboard (results_api.dashboard) finds the API: its base
    # URL, e.g. "/api/results/". None: reverse("results_api:task-list")'s.
    "DASHBOARD_API_URL": None,
    # Seconds between two polls of an open dashboard (0: no live updates).
    "DASHBOARD_POLL_INTERVAL": 5,
}

IMPORT_STRINGS = frozenset(
    {
        "PERMISSION_CLASSES",
        "AUTHENTICATION_CLASSES",
        "PAGINATION_CLASS",
        "TASK_FILTERSET_CLASS",
        "TASK_SERIALIZER_CLASS",
        "GROUP_FILTERSET_CLASS",
        "GROUP_SERIALIZER_CLASS",
        "REVOKE_PERMISSION_CLASSES",
        "RETRY_PERMISSION_CLASSES",
        "CELERY_APP",
        "THROTTLE_CLASSES",
    }
)


# Keys RESULTS_API once had, and the store's settings that hold them for every page.
MOVED = {
    "SCOPE_QUERYSET": "CELERY_RESULTS_SCOPE_QUERYSET",
    "REDACT_KEYS": "CELERY_RESULTS_REDACT_KEYS",
    "REDACT_HOOK": "CELERY_RESULTS_REDACT_HOOK",
    "REDACT_MASK": "CELERY_RESULTS_REDACT_MASK",
}


class ResultsAPISettings(APISettings):
    """DRF's settings object, reading ``settings.RESULTS_API`` and refusing unknown keys."""

    @property
    def user_settings(self) -> dict[str, Any]:
        if not hasattr(self, "_user_settings"):
            user_settings = getattr(settings, SETTING_NAME, None) or {}
            moved = sorted(set(user_settings) & set(MOVED))
            if moved:
                raise ImproperlyConfigured(
                    _(
                        "%(setting)s[%(key)r] is now the setting %(new)s: one rule for the "
                        "API, the dashboard, the metrics and the status views alike."
                    )
                    % {"setting": SETTING_NAME, "key": moved[0], "new": MOVED[moved[0]]}
                )
            unknown = sorted(set(user_settings) - set(self.defaults))
            if unknown:
                raise ImproperlyConfigured(
                    _("%(setting)s has unknown keys %(unknown)s; valid keys are %(valid)s.")
                    % {"setting": SETTING_NAME, "unknown": unknown, "valid": sorted(self.defaults)}
                )
            self._user_settings = user_settings
        return self._user_settings


# DRF's stubs type the defaults as REST_FRAMEWORK's own keys.
api_settings = ResultsAPISettings(None, DEFAULTS, IMPORT_STRINGS)  # type: ignore[arg-type]


# RESULTS_API is read again before anything built from it (registered after this).
forget_when_changed(api_settings.reload, settings=(SETTING_NAME,))
