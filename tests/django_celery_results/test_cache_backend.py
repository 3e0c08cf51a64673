"""The django-cache backend: task state in a Django cache."""

import pytest
from celery import Celery, states
from django.core.cache import caches
from django.test.utils import override_settings

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "results": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "r"},
}


@pytest.fixture
def cache_app():
    with override_settings(CACHES=CACHES):
        app = Celery(backend="django-cache", set_as_current=False)
        yield app
        for alias in CACHES:
            caches[alias].clear()


def test_a_result_round_trips_through_the_default_cache(cache_app):
    cache_app.backend.store_result("t-1", {"n": 1}, states.SUCCESS)

    assert cache_app.backend.get_task_meta("t-1")["result"] == {"n": 1}


def test_an_exception_round_trips_as_an_exception(cache_app):
    cache_app.backend.mark_as_failure("t-1", KeyError("lost"))

    assert isinstance(cache_app.backend.get_task_meta("t-1")["result"], KeyError)


def test_cache_backend_setting_names_the_cache(cache_app):
    cache_app.conf.cache_backend = "results"
    cache_app.backend.store_result("t-1", 1, states.SUCCESS)

    assert caches["results"].get("celery-task-meta-t-1")["result"] == 1
    assert caches["default"].get("celery-task-meta-t-1") is None


def test_forget_removes_the_cached_result(cache_app):
    cache_app.backend.store_result("t-1", 1, states.SUCCESS)

    cache_app.backend.forget("t-1")

    assert cache_app.backend.get_task_meta("t-1")["status"] == states.PENDING
