"""Fixtures of the bulk action tests: the actions on, a real broker queue no worker reads."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.urls import reverse
from rest_framework.test import APIClient

from results_api.bulk.permissions import create_bulk_permissions


@pytest.fixture
def queue(celery_app) -> Any:
    """A queue of the real Redis broker that no worker consumes: what a bulk retry sent."""
    name = f"bulk-{uuid.uuid4().hex[:8]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = name
    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    yield Queue(client, name)
    celery_app.conf.task_default_queue = previous
    client.delete(name)
    client.close()


class Queue:
    """The messages waiting in one Redis queue."""

    def __init__(self, client: redis.Redis, name: str) -> None:
        self.client, self.name = client, name

    def messages(self) -> list[dict[str, Any]]:
        """Return the headers of each message (task name, id, retry_of), oldest first."""
        raw = self.client.lrange(self.name, 0, -1)
        return [json.loads(item)["headers"] for item in reversed(raw)]


@pytest.fixture
def bulk_on(settings, celery_app, queue):
    """Every bulk action on, through the tests' Celery app, two rows per batch."""
    settings.RESULTS_API = {
        "BULK_ACTIONS": ["retry", "revoke", "delete"],
        "BULK_BATCH_SIZE": 2,
        "BULK_PAUSE_FACTOR": 0,
        "CELERY_APP": celery_app,
    }
    return settings


@pytest.fixture
def bulk_permissions(db) -> None:
    """The bulk permissions of the active model, as migrate creates them."""
    create_bulk_permissions()


def bulk_url(action: str, **filters: Any) -> str:
    url = reverse("results_api:task-bulk", kwargs={"bulk_action": action})
    if filters:
        from urllib.parse import urlencode

        url += "?" + urlencode(filters)
    return url


def confirm(client: APIClient, action: str, **filters: Any) -> tuple[Any, Any]:
    """Preview ``action`` over ``filters``, then confirm it; return both responses."""
    preview = client.get(bulk_url(action, **filters))
    assert preview.status_code == 200, preview.content
    done = client.post(
        bulk_url(action, **filters), {"token": preview.json()["token"]}, format="json"
    )
    return preview, done
