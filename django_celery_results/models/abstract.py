"""Abstract result models: every standard field, index and manager.

Subclass ``AbstractTaskResult`` to store more with each result::

    class TaskResult(AbstractTaskResult):
        tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True)

Indexes here are unnamed on purpose: Django names them after the concrete
table, so a custom model never collides with the default table's indexes.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): Django: ``Options.concrete_fields``.
"""

from __future__ import annotations

import json
from typing import Any

from celery import states
from celery.result import GroupResult as CeleryGroupResult
from celery.result import result_from_tuple
from django.db import models
from django.utils.translation import gettext_lazy as _

from .. import managers
from ..conf import TASK_ID_MAX_LENGTH, get_setting

ALL_STATES = sorted(states.ALL_STATES)
TASK_STATE_CHOICES = sorted(zip(ALL_STATES, ALL_STATES, strict=True))


def task_id_max_length() -> int:
    """Return the configured length of task and group id columns."""
    return get_setting(TASK_ID_MAX_LENGTH)


def content_type_field() -> models.CharField:
    """Return the column holding the serializer's content type (task and group results)."""
    return models.CharField(
        max_length=128,
        verbose_name=_("Result Content Type"),
        help_text=_("Content type of the result data"),
    )


def content_encoding_field() -> models.CharField:
    """Return the column holding the content encoding ("binary" means base64 text)."""
    return models.CharField(
        max_length=64,
        verbose_name=_("Result Encoding"),
        help_text=_("The encoding used to save the task result data"),
    )


def result_field() -> models.TextField:
    """Return the column holding the encoded result."""
    return models.TextField(
        null=True,
        default=None,
        editable=False,
        verbose_name=_("Result Data"),
        help_text=_(
            "The data returned by the task.  Use content_encoding and content_type fields to read."
        ),
    )


class AbstractTaskResult(models.Model):
    """Task result/status."""

    task_id = models.CharField(
        max_length=task_id_max_length(),
        unique=True,
        verbose_name=_("Task ID"),
        help_text=_("Celery ID for the Task that was run"),
    )
    periodic_task_name = models.CharField(
        null=True,
        max_length=255,
        verbose_name=_("Periodic Task Name"),
        help_text=_("Name of the Periodic Task which was run"),
    )
    task_name = models.CharField(
        null=True,
        max_length=task_id_max_length(),
        verbose_name=_("Task Name"),
        help_text=_("Name of the Task which was run"),
    )
    task_args = models.TextField(
        null=True,
        verbose_name=_("Task Positional Arguments"),
        help_text=_("JSON representation of the positional arguments used with the task"),
    )
    task_kwargs = models.TextField(
        null=True,
        verbose_name=_("Task Named Arguments"),
        help_text=_("JSON representation of the named arguments used with the task"),
    )
    status = models.CharField(
        max_length=50,
        default=states.PENDING,
        verbose_name=_("Task State"),
        help_text=_("Current state of the task being run"),
    )
    worker = models.CharField(
        max_length=100,
        default=None,
        null=True,
        verbose_name=_("Worker"),
        help_text=_("Worker that executes the task"),
    )
    content_type = content_type_field()
    content_encoding = content_encoding_field()
    result = result_field()
    date_created = models.DateTimeField(
        auto_now_add=True,
        verbose_name=_("Created DateTime"),
        help_text=_("Datetime field when the task result was created in UTC"),
    )
    date_started = models.DateTimeField(
        null=True,
        default=None,
        verbose_name=_("Started DateTime"),
        help_text=_("Datetime field when the task was started in UTC"),
    )
    date_done = models.DateTimeField(
        auto_now=True,
        verbose_name=_("Completed DateTime"),
        help_text=_("Datetime field when the task was completed in UTC"),
    )
    traceback = models.TextField(
        blank=True,
        null=True,
        verbose_name=_("Traceback"),
        help_text=_("Text of the traceback if the task generated one"),
    )
    meta = models.TextField(
        null=True,
        default=None,
        editable=False,
        verbose_name=_("Task Meta Information"),
        help_text=_("JSON meta information about the task, such as information on child tasks"),
    )

    objects = managers.TaskResultManager()

    class Meta:
        abstract = True
        ordering = ["-date_done"]
        verbose_name = _("task result")
        verbose_name_plural = _("task results")
        indexes = [
            models.Index(fields=["task_name"]),
            models.Index(fields=["status"]),
            models.Index(fields=["worker"]),
            models.Index(fields=["date_created"]),
            models.Index(fields=["date_done"]),
            models.Index(fields=["periodic_task_name"]),
        ]

    def __str__(self) -> str:
        return f"<Task: {self.task_id} ({self.status})>"

    def as_dict(self) -> dict[str, Any]:
        """Return the stored values that Celery's result meta is built from."""
        return {
            "task_id": self.task_id,
            "task_name": self.task_name,
            "task_args": self.task_args,
            "task_kwargs": self.task_kwargs,
            "status": self.status,
            "result": self.result,
            "date_done": self.date_done,
            "traceback": self.traceback,
            "meta": self.meta,
            "worker": self.worker,
        }

    @classmethod
    def extra_fields(cls) -> list[models.Field]:
        """Return the concrete fields a subclass adds beyond the standard ones."""
        standard = {field.name for field in AbstractTaskResult._meta.get_fields()}
        return [
            field
            for field in cls._meta.concrete_fields
            if field.name not in standard and not field.primary_key
        ]


class AbstractGroupResult(models.Model):
    """Task Group result/status."""

    group_id = models.CharField(
        max_length=task_id_max_length(),
        unique=True,
        verbose_name=_("Group ID"),
        help_text=_("Celery ID for the Group that was run"),
    )
    date_created = models.DateTimeField(
        auto_now_add=True,
        verbose_name=_("Created DateTime"),
        help_text=_("Datetime field when the group result was created in UTC"),
    )
    date_done = models.DateTimeField(
        auto_now=True,
        verbose_name=_("Completed DateTime"),
        help_text=_("Datetime field when the group was completed in UTC"),
    )
    content_type = content_type_field()
    content_encoding = content_encoding_field()
    result = result_field()

    objects = managers.GroupResultManager()

    class Meta:
        abstract = True
        ordering = ["-date_done"]
        verbose_name = _("group result")
        verbose_name_plural = _("group results")
        indexes = [
            models.Index(fields=["date_created"]),
            models.Index(fields=["date_done"]),
        ]

    def __str__(self) -> str:
        return f"<Group: {self.group_id}>"

    def as_dict(self) -> dict[str, Any]:
        """Return the stored values that Celery's group meta is built from."""
        return {
            "group_id": self.group_id,
            "result": self.result,
            "date_done": self.date_done,
        }


class AbstractChordCounter(models.Model):
    """Chord synchronisation: how many header tasks are still to finish."""

    group_id = models.CharField(
        max_length=task_id_max_length(),
        unique=True,
        verbose_name=_("Group ID"),
        help_text=_("Celery ID for the Chord header group"),
    )
    sub_tasks = models.TextField(
        help_text=_("JSON serialized list of task result tuples. use .group_result() to decode")
    )
    count = models.PositiveIntegerField(
        help_text=_("Starts at len(chord header) and decrements after each task is finished")
    )

    objects = managers.ChordCounterManager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"<ChordCounter: {self.group_id} ({self.count} left)>"

    def header_task_ids(self) -> list[str]:
        """Return the ids of the header's tasks, nested groups flattened."""
        ids: list[str] = []
        pending = list(json.loads(self.sub_tasks))
        while pending:
            (task_id, _parent), children = pending.pop()
            if children is None:
                ids.append(task_id)
            else:
                pending.extend(children)
        return ids

    def group_result(self, app: Any = None) -> CeleryGroupResult:
        """Return the chord header as a :class:`celery.result.GroupResult`."""
        return CeleryGroupResult(
            self.group_id,
            [result_from_tuple(r, app=app) for r in json.loads(self.sub_tasks)],
            app=app,
        )
