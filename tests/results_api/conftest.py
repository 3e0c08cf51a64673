"""Fixtures of the results API tests: clients, the active models and row factories."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from django_celery_results.models import get_group_result_model, get_task_result_model

CUSTOM_MODEL = "testapp.TaskResult"
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Start each test with no request counted by the throttles (the default cache outlives it)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_user("staff", password="x", is_staff=True)


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    """A client authenticated as a staff user (the default permission: IsAdminUser)."""
    api_client = APIClient()
    api_client.force_authenticate(staff_user)
    return api_client


@pytest.fixture
def superuser_client(db) -> APIClient:
    """A client authenticated as a superuser named root (every permission)."""
    api_client = APIClient()
    api_client.force_authenticate(get_user_model().objects.create_superuser("root"))
    return api_client


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def custom_model(settings):
    """Make the test app's custom model (tenant, priority, attempt) the active one."""
    settings.CELERY_RESULTS_TASKRESULT_MODEL = CUSTOM_MODEL
    return get_task_result_model()


@pytest.fixture
def tenants(db):
    from tests.testapp.models import Tenant

    return [Tenant.objects.create(name=name) for name in ("acme", "globex", "initech")]


@pytest.fixture
def make_task(db) -> Callable[..., Any]:
    """Create a task result row of the active model; JSON content unless told otherwise."""

    def make(**values: Any) -> Any:
        values.setdefault("task_id", f"task-{next(_ids)}")
        values.setdefault("task_name", "tests.testapp.tasks.add")
        values.setdefault("status", "SUCCESS")
        values.setdefault("content_type", "application/json")
        values.setdefault("content_encoding", "utf-8")
        values.setdefault("result", json.dumps(3))
        return get_task_result_model()._default_manager.create(**values)

    return make


@pytest.fixture
def make_group(db) -> Callable[..., Any]:
    """Create a group result row of the active group model."""

    def make(**values: Any) -> Any:
        values.setdefault("group_id", f"group-{next(_ids)}")
        values.setdefault("content_type", "application/json")
        values.setdefault("content_encoding", "utf-8")
        values.setdefault("result", json.dumps([[["t1", None], None]]))
        return get_group_result_model()._default_manager.create(**values)

    return make


def tasks_url(**params: Any) -> str:
    """Return the task list URL with ``params`` as its query string."""
    return _with_query(reverse("results_api:task-list"), params)


def task_url(task_id: str, **params: Any) -> str:
    return _with_query(reverse("results_api:task-detail", args=[task_id]), params)


def export_url(**params: Any) -> str:
    """Return the CSV export URL with ``params`` as its query string."""
    return _with_query(reverse("results_api:task-export"), params)


def stats_url(**params: Any) -> str:
    return _with_query(reverse("results_api:task-stats"), params)


def action_url(task_id: str, name: str) -> str:
    """Return the URL of a POST action (``revoke``, ``retry``) on a task."""
    return reverse(f"results_api:task-{name}", args=[task_id])


def csv_rows(response: Any) -> list[dict[str, str]]:
    """Return the rows of a streamed CSV export, as dicts by column."""
    import csv
    import io

    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def groups_url(**params: Any) -> str:
    return _with_query(reverse("results_api:group-list"), params)


def group_url(group_id: str, **params: Any) -> str:
    return _with_query(reverse("results_api:group-detail", args=[group_id]), params)


def _with_query(url: str, params: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return f"{url}?{urlencode(params)}" if params else url


def task_ids(response: Any) -> list[str]:
    """Return the task ids of a list response, in order."""
    assert response.status_code == 200, response.content
    return [row["task_id"] for row in response.json()["results"]]
