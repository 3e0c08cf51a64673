"""The Django permission each bulk action needs, on top of the single action's.

    <app_label>.bulk_retry_<model_name>    e.g. testapp.bulk_retry_taskresult
    <app_label>.bulk_revoke_<model_name>
    <app_label>.bulk_delete_<model_name>

They belong to the active task result model's content type and are created
after ``migrate`` (as Django creates add/change/delete/view), so they are
granted like any other: to a user or a group in the admin. A superuser has
them all. Checked after the API's read permissions and the single action's
(``RETRY_PERMISSION_CLASSES``, ``REVOKE_PERMISSION_CLASSES``; for delete,
the model's own ``delete_<model_name>`` permission).
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, router
from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from django_celery_results.models import get_task_result_model

from ..conf import api_settings
from .plan import ACTIONS

__all__ = [
    "BulkActionPermission",
    "create_bulk_permissions",
    "permission_codename",
    "permission_name",
]


def permission_codename(action: str, model: Any) -> str:
    return f"bulk_{action}_{model._meta.model_name}"


def permission_name(action: str, model: Any) -> str:
    """Return the permission ``user.has_perm`` checks for ``action`` on ``model``."""
    return f"{model._meta.app_label}.{permission_codename(action, model)}"


class BulkActionPermission(BasePermission):
    """The bulk action's own permission, and the single action's it builds on.

    A refusal's message names what is missing, so that the user (or whoever
    grants permissions) knows what to ask for.
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        action = view.kwargs.get("bulk_action")
        model = view.get_model()
        bulk = permission_name(action, model)
        if action == "delete":
            delete = f"{model._meta.app_label}.delete_{model._meta.model_name}"
            single = [request.user.has_perm(delete)]
            self.message = _("A bulk delete needs the permissions %(delete)s and %(bulk)s.") % {
                "delete": delete,
                "bulk": bulk,
            }
        else:
            setting = f"{action.upper()}_PERMISSION_CLASSES"
            single = [
                permission().has_permission(request, view)
                for permission in getattr(api_settings, setting)
            ]
            self.message = _(
                "A bulk %(action)s needs the single action's permission classes "
                "(RESULTS_API[%(setting)r]) and the permission %(bulk)s."
            ) % {"action": action, "setting": setting, "bulk": bulk}
        return all(single) and request.user.has_perm(bulk)


def create_bulk_permissions(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Create the bulk permissions of the active task result model (a ``post_migrate`` receiver)."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    model = get_task_result_model()
    if not router.allow_migrate_model(using, Permission):
        return
    content_type = ContentType.objects.db_manager(using).get_for_model(
        model, for_concrete_model=False
    )
    for action in ACTIONS:
        Permission.objects.db_manager(using).get_or_create(
            content_type=content_type,
            codename=permission_codename(action, model),
            defaults={"name": f"Can bulk {action} {model._meta.verbose_name_plural}"},
        )
