"""Who did what to which tasks: each action of the API written to Django's admin history.

A retry, a revoke and each bulk action is one ``LogEntry`` (the table behind
the admin's "History" and its recent actions), against the task model's
content type: for a single task, its row; for a bulk action, no row and a
message naming the filter, the count and the outcome. The same line goes
to the ``results_api.audit`` logger, so a project without
``django.contrib.admin`` (results_api.W040 warns) still has a record.
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.db import models

__all__ = ["CHANGE", "DELETION", "record_action"]

logger = logging.getLogger("results_api.audit")

# LogEntry's action flags (django.contrib.admin.models), repeated so that this
# module imports without the admin installed.
CHANGE = 2
DELETION = 3


def record_action(
    user: Any,
    model: type[models.Model],
    message: str,
    *,
    row: models.Model | None = None,
    flag: int = CHANGE,
) -> None:
    """Record that ``user`` acted on ``row``, or on many rows of ``model``, as ``message`` says."""
    subject = (
        str(getattr(row, "task_id", row)) if row is not None else model._meta.verbose_name_plural
    )
    logger.info(
        "%s: %s (%s)", getattr(user, "get_username", lambda: "anonymous")(), message, subject
    )
    if not apps.is_installed("django.contrib.admin") or not getattr(user, "pk", None):
        return
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.create(
        user_id=user.pk,
        content_type=ContentType.objects.db_manager(model._default_manager.db).get_for_model(
            model, for_concrete_model=False
        ),
        object_id=None if row is None else str(row.pk),
        object_repr=str(subject)[:200],
        action_flag=flag,
        change_message=message,
    )
