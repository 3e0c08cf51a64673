"""Admin for task and group results, registered for the active models.

A custom task result model is registered with the same admin class, which
shows and filters its extra fields. A project that registers its own admin
for the model first keeps it. A model setting that names no usable model
registers nothing here: the system checks (``django_celery_results.E001``
to ``E006``) report it, instead of a traceback while the admin is
discovered. The changelist costs the same at any table size (see
``admin_changelist.py``): one query for the page, bounded counts, list
filters drawn without reading the table, search by task id through its
index.

Results are the workers' to write: unless ``DJANGO_CELERY_RESULTS =
{"ALLOW_EDITS": True}``, the admin is Django's view-only admin for both
models (no "Add" button, no save buttons, a change POST refused).

Stored content is shown masked, as the API and the status views show it:
unless ``ALLOW_EDITS`` lets the admin edit rows, the change page shows
``task_args``, ``task_kwargs``, ``result`` and ``meta`` decoded (JSON only,
at most 50 levels deep) with the values of secret keys masked by the
``CELERY_RESULTS_REDACT_*`` rules; content of any other type (pickle) is
shown as the stored text, never decoded.

Actions that change the world need a permission of their own besides the
view permission: "Terminate selected tasks" (a revoke sent to the workers)
needs the model's change permission (``change_taskresult``), whether edits
are allowed or not, and Django's "Delete selected" its delete permission.
A staff user who may only view task results sees neither action, and a
forged POST of one is refused.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any, cast

# Upstream's name: projects' tests patch django_celery_results.admin.celery_app.control.
from celery import current_app as celery_app
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.utils import formats, timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .admin_changelist import (
    BoundedChangeList,
    BoundedCountPaginator,
    filter_choices_without_scan,
    search_by_id_prefix,
)
from .columns import ARGUMENT_COLUMNS, CONTENT_COLUMNS, DATE_COLUMNS
from .content import Undecodable, decode_json, is_decodable
from .masking import mask_arguments, mask_data, store_masking_rules
from .models import get_group_result_model, get_task_result_model
from .models.abstract import AbstractGroupResult, AbstractTaskResult

# Lookups of a date's part, whose value Python turns into a date (an OverflowError past 9999).
DATE_PARTS = ("__year", "__month", "__day", "__week", "__week_day", "__quarter", "__iso_year")
# The changelist's columns, each ordered through an index of its own (the id and the date
# through the display methods that show its beginning and the date to the second).
LIST_COLUMNS = (
    "short_task_id",
    "periodic_task_name",
    "breakable_task_name",
    "date_done_to_the_second",
    "status",
    "breakable_worker",
)


def masked_column(row: models.Model, attname: str) -> str | None:
    """Return a stored column as the change page shows it: decoded, masked, as text."""
    text = getattr(row, attname)
    if text is None or not is_decodable(getattr(row, "content_type", None)):
        return text
    try:
        value = decode_json(text)
    except Undecodable:
        return text
    rules = store_masking_rules()
    mask = mask_arguments if attname in ARGUMENT_COLUMNS else mask_data
    value = mask(value, rules)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2)


# Columns the view-only change page shows through a method of the admin instead.
_VIEW_ONLY_FIELDS = {"traceback": "preformatted_traceback"}


def preformatted(text: str | None) -> str | None:
    """Return ``text`` escaped in a ``<pre>``, so the admin keeps the JSON's indentation."""
    return None if text is None else format_html("<pre>{}</pre>", text)


def unwrapped(text: str) -> str:
    """Return ``text`` escaped in a span the admin's style sheet keeps on one line (``nowrap``)."""
    return format_html('<span class="nowrap">{}</span>', text)


# Where a dotted name or a host name may wrap: after each of these.
_BREAK_AFTER = re.compile(r"(?<=[.@:/_])")


def breakable(text: str | None) -> str | None:
    """Return ``text`` escaped, free to wrap after its dots, underscores, ``@``, ``:`` and ``/``.

    So that ``myapp.tasks.send_invoice`` takes two short lines in a narrow
    column instead of widening the table past the page.
    """
    if not text:
        return text
    return mark_safe("<wbr>".join(escape(piece) for piece in _BREAK_AFTER.split(text)))


# How much of a task id the changelist shows: enough to tell rows apart and to search by.
# An id at most a few characters longer is shown whole.
SHOWN_ID_LENGTH = 8
WHOLE_ID_LENGTH = 12


def id_beginning(text: str) -> str:
    """Return an id's first characters on one line, the whole id in its title (on hover)."""
    if len(text) <= WHOLE_ID_LENGTH:
        return unwrapped(text)
    return format_html('<span class="nowrap" title="{}">{}…</span>', text, text[:SHOWN_ID_LENGTH])


def to_the_second(value: datetime.datetime | None) -> str | None:
    """Return ``value`` as the admin shows dates, with its seconds.

    In the current time zone (``TIME_ZONE``, or the one activated), the date
    in the active language's short format; Django's own formats stop at the
    minute, too coarse for tasks that take seconds.
    """
    if value is None:
        return None
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{formats.date_format(local, 'SHORT_DATE_FORMAT')} {local:%H:%M:%S}"


def _label(model: type[models.Model], column: str) -> Any:
    """Return the verbose name of ``column``: a display method is labelled as what it shows."""
    return cast(models.Field, model._meta.get_field(column)).verbose_name


def _edits_allowed() -> bool:
    return bool(getattr(settings, "DJANGO_CELERY_RESULTS", {}).get("ALLOW_EDITS", False))


class ReadOnlyUnlessEditsAllowed:
    """Offer no add page and no save buttons unless ``ALLOW_EDITS`` lets the admin edit rows.

    Results are written by workers; while edits are off, Django's view-only
    admin (no "Add" button, change pages titled as view pages, a POST
    refused) is what the admin can do, whatever the user's permissions.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _edits_allowed() and super().has_add_permission(request)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _edits_allowed() and super().has_change_permission(request, obj)  # type: ignore[misc]


class FlatCostAdmin(admin.ModelAdmin):
    """Changelist settings whose cost does not grow with the table."""

    paginator = BoundedCountPaginator
    # Drawing the rows is most of a page's cost (about a millisecond each): 50, as the API's pages.
    list_per_page = 50
    change_list_template = "django_celery_results/admin/change_list.html"
    # The count of the unfiltered table would be a second full COUNT(*).
    show_full_result_count = False
    if hasattr(admin, "ShowFacets"):  # Django 5.0+: facet counts scan the table
        show_facets = admin.ShowFacets.NEVER

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type:
        return BoundedChangeList


def refused_parameter(query: QueryDict) -> str | None:
    """Return why a changelist query parameter is refused, naming it; None if all are fine.

    Refused before Django's changelist reads them, because the database or
    Python would fail on them with a 500: a NUL character (PostgreSQL text
    cannot hold one), or a date part (``date_done__year=``...) that is no
    number of at most four digits.
    """
    for name, values in query.lists():
        for value in values:
            if "\x00" in value:
                return f"{name}: NUL characters are not allowed."
            if name.endswith(DATE_PARTS) and not (value.isdigit() and len(value) <= 4):
                return f"{name}: enter a number of at most four digits."
    return None


class ResultAdminMixin:
    """Answer 400, naming the parameter, to changelist queries Django would answer with a 500."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        problem = refused_parameter(request.GET)
        if problem is not None:
            return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")
        return super().changelist_view(request, extra_context)  # type: ignore[misc]


class TaskResultAdmin(ReadOnlyUnlessEditsAllowed, ResultAdminMixin, FlatCostAdmin):
    """Admin-interface for results of tasks."""

    list_display = LIST_COLUMNS
    list_filter = ("status", "date_done", "periodic_task_name", "task_name", "worker")
    sortable_by = LIST_COLUMNS
    readonly_fields = (
        "date_created_to_the_second",
        "date_started_to_the_second",
        "date_done_to_the_second",
        "result",
        "meta",
    )
    search_fields = ("task_id",)
    search_help_text = _("A task id, or its beginning.")
    actions = ("terminate_task",)
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
                    "date_created_to_the_second",
                    "date_started_to_the_second",
                    "date_done_to_the_second",
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

    def get_list_select_related(self, request: HttpRequest) -> tuple[str, ...]:
        # Named: Django's bare select_related() skips nullable foreign keys (a query per row).
        return tuple(field.name for field in self._extra_fields() if field.many_to_one)

    def get_list_filter(self, request: HttpRequest) -> tuple[Any, ...]:
        filterable = [
            field.name
            for field in self._extra_fields()
            if field.is_relation or field.choices or isinstance(field, models.BooleanField)
        ]
        return tuple(
            filter_choices_without_scan(cast(models.Field, self.opts.get_field(name)))
            for name in (*self.list_filter, *filterable)
        )

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet, search_term: str
    ) -> tuple[models.QuerySet, bool]:
        """Find results by task id, whole or its beginning, through the unique index."""
        return search_by_id_prefix(queryset, "task_id", search_term), False

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets: Any = self.fieldsets
        if not _edits_allowed():
            fieldsets = tuple(
                (
                    name,
                    {
                        **options,
                        "fields": tuple(
                            _VIEW_ONLY_FIELDS.get(field)
                            or (f"masked_{field}" if field in CONTENT_COLUMNS else field)
                            for field in options["fields"]
                        ),
                    },
                )
                for name, options in fieldsets
            )
        extra = tuple(field.name for field in self._extra_fields() if field.editable)
        if not extra:
            return fieldsets
        return (*fieldsets, (_("Extended properties"), {"fields": extra}))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if _edits_allowed():
            return self.readonly_fields
        masked = [f"masked_{name}" for name in CONTENT_COLUMNS]
        dates = [f"{name}_to_the_second" for name in DATE_COLUMNS]
        return [
            *(field.name for field in self.opts.local_fields),
            *masked,
            *dates,
            *_VIEW_ONLY_FIELDS.values(),
        ]

    @admin.display(description=_label(AbstractTaskResult, "traceback"))
    def preformatted_traceback(self, obj: AbstractTaskResult) -> str | None:
        """The traceback in a monospace block, its indentation kept."""
        return preformatted(obj.traceback)

    @admin.display(description=_label(AbstractTaskResult, "task_id"), ordering="task_id")
    def short_task_id(self, obj: AbstractTaskResult) -> str:
        """The id's beginning: a UUID would take a third of the table's width."""
        return id_beginning(obj.task_id)

    @admin.display(description=_label(AbstractTaskResult, "task_name"), ordering="task_name")
    def breakable_task_name(self, obj: AbstractTaskResult) -> str | None:
        return breakable(obj.task_name)

    @admin.display(description=_label(AbstractTaskResult, "worker"), ordering="worker")
    def breakable_worker(self, obj: AbstractTaskResult) -> str | None:
        return breakable(obj.worker)

    @admin.display(description=_label(AbstractTaskResult, "date_done"), ordering="date_done")
    def date_done_to_the_second(self, obj: AbstractTaskResult) -> str | None:
        return to_the_second(obj.date_done)

    @admin.display(description=_label(AbstractTaskResult, "date_created"))
    def date_created_to_the_second(self, obj: AbstractTaskResult) -> str | None:
        return to_the_second(obj.date_created)

    @admin.display(description=_label(AbstractTaskResult, "date_started"))
    def date_started_to_the_second(self, obj: AbstractTaskResult) -> str | None:
        return to_the_second(obj.date_started)

    def masked_task_args(self, obj: models.Model) -> str | None:
        return preformatted(masked_column(obj, "task_args"))

    def masked_task_kwargs(self, obj: models.Model) -> str | None:
        return preformatted(masked_column(obj, "task_kwargs"))

    def masked_result(self, obj: models.Model) -> str | None:
        return preformatted(masked_column(obj, "result"))

    def masked_meta(self, obj: models.Model) -> str | None:
        return preformatted(masked_column(obj, "meta"))

    def has_terminate_permission(self, request: HttpRequest) -> bool:
        """Return whether the user holds the model's change permission, edits allowed or not."""
        return super(ReadOnlyUnlessEditsAllowed, self).has_change_permission(request)

    @admin.action(description=_("Terminate selected tasks"), permissions=["terminate"])
    def terminate_task(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        """Revoke the selected tasks and terminate those still running (upstream's action)."""
        task_ids = list(queryset.values_list("task_id", flat=True))
        try:
            celery_app.control.terminate(task_ids)
        except Exception as exc:  # the broker is down, or refused the message
            self.message_user(request, _("Error while terminating tasks: %s") % exc, messages.ERROR)
            return
        self.message_user(
            request, _("%d task(s) was terminated successfully.") % len(task_ids), messages.SUCCESS
        )


for _column in CONTENT_COLUMNS:  # labelled as the columns they show
    getattr(TaskResultAdmin, f"masked_{_column}").short_description = _label(
        AbstractTaskResult, _column
    )


class GroupResultAdmin(ReadOnlyUnlessEditsAllowed, ResultAdminMixin, FlatCostAdmin):
    """Admin-interface for results of grouped tasks."""

    list_display = ("whole_group_id", "date_done_to_the_second")
    list_filter = ("date_done",)
    readonly_fields = ("date_created", "date_done", "result")
    search_fields = ("group_id",)
    search_help_text = _("A group id, or its beginning.")

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet, search_term: str
    ) -> tuple[models.QuerySet, bool]:
        """Find groups by id, whole or its beginning, through the unique index."""
        return search_by_id_prefix(queryset, "group_id", search_term), False

    @admin.display(description=_label(AbstractGroupResult, "group_id"), ordering="group_id")
    def whole_group_id(self, obj: AbstractGroupResult) -> str:
        return unwrapped(obj.group_id)

    @admin.display(description=_label(AbstractGroupResult, "date_done"), ordering="date_done")
    def date_done_to_the_second(self, obj: AbstractGroupResult) -> str | None:
        return to_the_second(obj.date_done)


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
