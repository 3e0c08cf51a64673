"""Every module of django-celery-results 2.6 imports from ours, with its public names."""

from __future__ import annotations

import datetime
import importlib
import zoneinfo

import pytest
from django.db import OperationalError
from django.test.utils import override_settings
from django.utils import timezone

import django_celery_results
from django_celery_results.managers import transaction_retry
from django_celery_results.utils import now

# Module -> the public names it defines in django-celery-results 2.6.0.
UPSTREAM_MODULES = {
    "django_celery_results": ["VERSION", "version_info", "version_info_t", "__version__"],
    "django_celery_results.admin": ["TaskResultAdmin", "GroupResultAdmin", "celery_app"],
    "django_celery_results.apps": ["CeleryResultConfig"],
    "django_celery_results.backends": ["CacheBackend", "DatabaseBackend"],
    "django_celery_results.backends.cache": ["CacheBackend"],
    "django_celery_results.backends.database": [
        "DatabaseBackend",
        "EXCEPTIONS_TO_CATCH",
        "logger",
        "trigger_callback",
    ],
    "django_celery_results.managers": [
        "GroupResultManager",
        "ResultManager",
        "TaskResultManager",
        "TxIsolationWarning",
        "W_ISOLATION_REP",
        "transaction_retry",
    ],
    "django_celery_results.models": [
        "ALL_STATES",
        "ChordCounter",
        "GroupResult",
        "TASK_STATE_CHOICES",
        "TaskResult",
    ],
    "django_celery_results.urls": ["TaskPatternConverter", "urlpatterns"],
    "django_celery_results.utils": ["now", "now_localtime"],
    "django_celery_results.views": [
        "group_status",
        "is_group_successful",
        "is_task_successful",
        "task_status",
    ],
}


@pytest.mark.parametrize(("module", "names"), UPSTREAM_MODULES.items(), ids=list(UPSTREAM_MODULES))
def test_each_upstream_module_imports_with_its_public_names(module, names):
    imported = importlib.import_module(module)

    assert [name for name in names if not hasattr(imported, name)] == []


def test_the_version_tuple_matches_the_version_string():
    major, minor, micro, *_ = django_celery_results.VERSION

    assert f"{major}.{minor}.{micro}" == django_celery_results.__version__
    assert django_celery_results.version_info is django_celery_results.VERSION


def test_now_is_aware_in_the_current_time_zone():
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        value = now()

    assert value.utcoffset() == datetime.timedelta(hours=9)
    assert abs(value - timezone.now()) < datetime.timedelta(seconds=5)


def test_now_is_naive_without_use_tz():
    with override_settings(USE_TZ=False):
        assert timezone.is_naive(now())


def test_transaction_retry_calls_again_after_a_database_error_then_raises():
    calls = []

    @transaction_retry(max_retries=2)
    def flaky(succeed_on):
        calls.append(1)
        if len(calls) < succeed_on:
            raise OperationalError("server closed the connection")
        return "stored"

    assert flaky(3) == "stored"
    calls.clear()
    with pytest.raises(OperationalError):
        flaky(4)
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(OperationalError):
        flaky(2, exception_retry_count=0)
    assert len(calls) == 1
