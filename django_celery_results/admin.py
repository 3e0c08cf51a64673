"""Admin for task and group results, registered for the active models.

A custom task result model is registered with the same admin class, which
shows, filters and searches its extra fields. A project that registers its
own admin for the model first keeps it. A model setting that names no usable
model registers nothing here: the system checks (``django_celery_results.E001``
to ``E006``) report it, instead of a traceback while the admin is discovered.
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import get_group_result_model, get_task_result_model


def _edits_allowed() -> bool:
    return bool(getattr(settings, "DJANGO_CELERY_RESULTS", {}).get("ALLOW_EDITS", False))


class TaskResultAdmin(admin.ModelAdmin):
    """Admin-interface for results of tasks."""

    date_hierarchy = "date_done"
    list_display = ("task_id", "periodic_task_name", "task_name", "date_done", "status", "worker")
    list_filter = ("status", "date_done", "periodic_task_name", "task_name", "worker")
    readonly_fields = ("date_created", "date_started", "date_done", "result", "meta")
    search_fields = ("task_name", "task_id", "status", "task_args", "task_kwargs")
    actions = ("terminate_tasks",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "task_id",
                    "task_name",
                    "periodic_task_name",
                    "status",
                    "worker",
                    "content_type",
                    "content_encoding",
                ),
                "classes": ("extrapretty", "wide"),
            },
        ),
        (
            _("Parameters"),
            {"fields": ("task_args", "task_kwargs"), "classes": ("extrapretty", "wide")},
        ),
        (
            _("Result"),
            {
                "fields": (
                    "result",
                    "date_created",
                    "date_started",
                    "date_done",
                    "traceback",
                    "meta",
                ),
                "classes": ("extrapretty", "wide"),
            },
        ),
    )

    def _extra_fields(self) -> list[models.Field]:
        return self.model.extra_fields()

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        return (*self.list_display, *(field.name for field in self._extra_fields()))

    def get_list_filter(self, request: HttpRequest) -> tuple[str, ...]:
        filterable = [
            field.name
            for field in self._extra_fields()
            if field.is_relation or field.choices or isinstance(field, models.BooleanField)
        ]
        return (*self.list_filter, *filterable)

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        searchable = [
            field.name
            for field in self._extra_fields()
            if isinstance(field, models.CharField) and not field.choices
        ]
        return (*self.search_fields, *searchable)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        extra = tuple(field.name for field in self._extra_fields() if field.editable)
        if not extra:
            return self.fieldsets
        return (*self.fieldsets, (_("Extended properties"), {"fields": extra}))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if _edits_allowed():
            return self.readonly_fields
        return [field.name for field in self.opts.local_fields]

    @admin.action(description=_("Terminate selected tasks"))
    def terminate_tasks(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        """Revoke the selected tasks and terminate those still running."""
        task_ids = list(queryset.values_list("task_id", flat=True))
        current_app.control.revoke(task_ids, terminate=True)
        self.message_user(
            request, _("Sent terminate to %d tasks.") % len(task_ids), messages.SUCCESS
        )


class GroupResultAdmin(admin.ModelAdmin):
    """Admin-interface for results of grouped tasks."""

    date_hierarchy = "date_done"
    list_display = ("group_id", "date_done")
    list_filter = ("date_done",)
    readonly_fields = ("date_created", "date_done", "result")
    search_fields = ("group_id",)


def register_active_models(site: admin.AdminSite = admin.site) -> None:
    """Register the active task and group result models on ``site``, unless already there.

    A misconfigured model setting is skipped, so that ``manage.py check`` runs
    and names it; the admin then simply lacks that model.
    """
    for get_model, admin_class in (
        (get_task_result_model, TaskResultAdmin),
        (get_group_result_model, GroupResultAdmin),
    ):
        try:
            model = get_model()
        except ImproperlyConfigured:
            continue  # reported by django_celery_results.checks.check_result_models
        if not site.is_registered(model):
            site.register(model, admin_class)


register_active_models()
