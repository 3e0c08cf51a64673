"""Bulk retry and revoke as admin actions on the task results, with Django's confirmation page.

The admin's changelist already deletes the selected rows ("Delete selected",
Django's own, which records each deletion in the history). These add
"Retry selected tasks" and "Revoke selected tasks" to the admin of the
active task model: a first click shows what would be done (how many, which
skipped and why); "Yes, I'm sure" runs it as the API's bulk action does (in
batches, recorded in the history). "Select all N" acts on every row the
changelist's filters select, up to ``BULK_MAX_ROWS``. Each needs the bulk
permission (:mod:`results_api.bulk.permissions`) and the model's change
permission; the scope hook does not apply, as everywhere in the admin.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): Django: ``AdminSite._registry`` (``get_model_admin`` exists only
since Django 5.0).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from kombu.exceptions import OperationalError

from django_celery_results.models import get_task_result_model

from ..audit import record_action
from ..conf import api_settings
from .models import BulkAction
from .permissions import permission_name
from .plan import preview, within
from .run import acquire, release, run_bulk_action

__all__ = ["BulkActionAdmin", "add_bulk_actions"]

TEMPLATE = "results_api/admin/bulk_confirmation.html"


def _bulk(action: str, title: Any) -> Any:
    @admin.action(description=title, permissions=[f"bulk_{action}"])
    def act(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: models.QuerySet) -> Any:
        found = preview(action, queryset, api_settings.BULK_BATCH_SIZE)
        if found.matched > api_settings.BULK_MAX_ROWS:
            model_admin.message_user(
                request,
                _("%(matched)s tasks are selected; a bulk action takes at most %(limit)s.")
                % {"matched": found.matched, "limit": api_settings.BULK_MAX_ROWS},
                messages.ERROR,
            )
            return None
        if request.POST.get("post") != "yes":
            return _confirmation(model_admin, request, queryset, action, title, found)
        model = queryset.model
        # "Select all" acts on the changelist's filters: the record names them, as the API's does.
        across = request.POST.get("select_across") == "1"
        filters = request.GET.urlencode() if across else ""
        run = BulkAction.objects.create(
            key=uuid.uuid4().hex,
            action=action,
            model=model._meta.label_lower,
            user=request.user,
            filters=filters or _("selected in the admin"),
            matched=found.matched,
        )
        acquire(run)
        try:
            bounded = within(queryset, found.last_pk)
            run = run_bulk_action(run, bounded, api_settings.BULK_BATCH_SIZE)
        except OperationalError as exc:
            release(run)
            model_admin.message_user(
                request, _("The message broker could not be reached: %s") % exc, messages.ERROR
            )
            return None
        skipped = sum(run.skipped.values())
        matching = f" (all matching [{filters or 'no filter'}])" if across else ""
        record_action(
            request.user,
            model,
            f"Bulk {action} (run {run.pk}) in the admin of {run.matched} selected tasks"
            f"{matching}: {run.acted} acted on, {skipped} skipped; {run.state}.",
        )
        model_admin.message_user(
            request,
            _("%(action)s: %(acted)s of %(matched)s tasks; %(skipped)s skipped.")
            % {"action": title, "acted": run.acted, "matched": run.matched, "skipped": skipped},
            messages.SUCCESS,
        )
        return None

    act.__name__ = f"bulk_{action}"
    return act


def _confirmation(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: models.QuerySet,
    action: str,
    title: Any,
    found: Any,
) -> TemplateResponse:
    from .views import REASONS

    select_across = request.POST.get("select_across") == "1"
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "action_name": f"bulk_{action}",
        "action_title": title,
        "found": found,
        "skipped": [(str(REASONS.get(r, r)), n) for r, n in sorted(found.skipped.items()) if n],
        "select_across": select_across,
        "selected": [] if select_across else request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, TEMPLATE, context)


ACTIONS = {
    "retry": _bulk("retry", gettext_lazy("Retry selected tasks")),
    "revoke": _bulk("revoke", gettext_lazy("Revoke selected tasks")),
}


class BulkActionAdmin(admin.ModelAdmin):
    """Each bulk action's run, read-only: how far a running one has got, and what each did."""

    list_display = (
        "pk",
        "action",
        "model",
        "user",
        "matched",
        "acted",
        "state",
        "started",
        "finished",
    )
    list_filter = ("action", "state")
    ordering = ("-pk",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def add_bulk_actions(site: admin.AdminSite = admin.site) -> None:
    """Give the admin of the active task model the bulk actions; show the runs' records."""
    if not site.is_registered(BulkAction):
        site.register(BulkAction, BulkActionAdmin)
    try:
        model = get_task_result_model()
    except ImproperlyConfigured:
        return  # the result store's checks say what is wrong with the setting
    model_admin = site._registry.get(model)
    if model_admin is None:
        return
    # The model's change permission, whether or not the admin lets rows be edited.
    change = f"{model._meta.app_label}.change_{model._meta.model_name}"
    for action in ACTIONS:
        needed = (permission_name(action, model), change)
        setattr(
            model_admin,
            f"has_bulk_{action}_permission",
            lambda request, needed=needed: request.user.has_perms(needed),
        )
    model_admin.actions = (*(model_admin.actions or ()), *ACTIONS.values())
