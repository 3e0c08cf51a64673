"""The replica tests' router: result models read from "replica", written to "primary"."""

from __future__ import annotations

from typing import Any

from django.db import models

RESULT_APPS = frozenset({"django_celery_results", "testapp", "results_api"})


class ReplicaRouter:
    """Send reads of the result store's models to the replica and writes to its primary."""

    def db_for_read(self, model: type[models.Model], **hints: Any) -> str | None:
        return "replica" if model._meta.app_label in RESULT_APPS else None

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str | None:
        return "primary" if model._meta.app_label in RESULT_APPS else None

    def allow_relation(self, first: models.Model, second: models.Model, **hints: Any) -> bool:
        return True
