"""A multi-tenant custom task result model, as a user of the package writes it."""

from django.db import models

from django_celery_results.models.abstract import AbstractTaskResult


class Tenant(models.Model):
    """A customer whose tasks are kept apart from the others'."""

    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class TaskResult(AbstractTaskResult):
    """Task result that also records the tenant, a priority and the attempt number."""

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    attempt = models.PositiveIntegerField(null=True)

    class Meta(AbstractTaskResult.Meta):
        indexes = [
            *AbstractTaskResult.Meta.indexes,
            models.Index(fields=["tenant", "-date_created"]),
            # The included columns let tasks/stats/ read only the index (PostgreSQL).
            models.Index(
                fields=["tenant", "status", "-date_created"],
                include=["date_started", "date_done"],
                name="testapp_task_tenant_status",
            ),
            # Stats from the rollup read a tenant's latest results (after the rollup's
            # head) by date_done; the included columns spare the table.
            models.Index(
                fields=["tenant", "date_done"],
                include=["status", "date_created", "date_started"],
                name="testapp_task_tenant_done",
            ),
        ]
