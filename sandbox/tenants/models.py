"""Tenants, and the task result model that stores the tenant with every result."""

from django.conf import settings
from django.db import models

from django_celery_results.models.abstract import AbstractTaskResult


class Tenant(models.Model):
    """A customer of the demo: its tasks and results are kept apart from the others'."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="tenants", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TaskResult(AbstractTaskResult):
    """A Celery task result with the tenant it ran for (``CELERY_RESULTS_TASKRESULT_MODEL``)."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="task_results"
    )

    class Meta(AbstractTaskResult.Meta):
        indexes = [
            *AbstractTaskResult.Meta.indexes,
            # The dashboard's list: one tenant's latest results first.
            models.Index(fields=["tenant", "-date_created"]),
            # Its counts and time series: one tenant's results by state and completion time.
            models.Index(fields=["tenant", "status", "-date_created"]),
        ]
