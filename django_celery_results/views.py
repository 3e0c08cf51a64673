"""JSON views of task and group status, as in django-celery-results, safe by default.

Who gets an answer: a user with the view permission of the active task
result model (``django_celery_results.view_taskresult`` by default);
anyone else gets a 403 whatever the id, so the answer says nothing about
whether the task exists. ``CELERY_RESULTS_STATUS_VIEWS_PUBLIC = True``
answers anyone who knows the id, as django-celery-results did: the id is
then the only secret.

What they see: the rows that ``CELERY_RESULTS_SCOPE_QUERYSET`` leaves them
(a task outside it is answered like an unknown one, PENDING; a group's
tasks outside it are left out), read from the tables of the active models,
decoded as JSON only and masked by the ``CELERY_RESULTS_REDACT_*`` rules
(see :mod:`django_celery_results.status`); tracebacks only with the view
permission. A result stored in a format that is not decoded (pickle, say),
or that no longer decodes, is a 409 that says so; it is never decoded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from celery import states
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.http import HttpRequest, JsonResponse

from . import conf
from .masking import store_masking_rules
from .status import NotShown, group_children, rows_by_task_id, stored_result, task_answer

StatusView = Callable[..., JsonResponse]


# The models are imported when a view runs, not with this module: a URLconf that
# includes these views must import even when the app is missing from
# INSTALLED_APPS, so that the system check saying so gets to speak.


def view_permission() -> str:
    """Return the permission the status views ask for: view on the active task result model."""
    from .models import get_task_result_model

    opts = get_task_result_model()._meta
    return f"{opts.app_label}.view_{opts.model_name}"


def _user(request: HttpRequest) -> Any:
    return getattr(request, "user", None) or AnonymousUser()


def may_view(request: HttpRequest) -> bool:
    """Return whether ``request``'s user has the view permission of the task results."""
    return _user(request).has_perm(view_permission())


def scoped(request: HttpRequest, model: type[models.Model]) -> models.QuerySet:
    """Return the rows of ``model`` that ``CELERY_RESULTS_SCOPE_QUERYSET`` leaves ``request``."""
    return conf.apply_scope_hook(request, model._default_manager.all())


def status_view(kind: str) -> Callable[[StatusView], StatusView]:
    """Answer 403 to a user who may not see results; 409 when stored content is not shown.

    The view takes the id as ``f"{kind}_id"``, by keyword (URL patterns) or by position.
    """

    def decorate(view: StatusView) -> StatusView:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: str, **kwargs: str) -> JsonResponse:
            if not conf.get_setting(conf.STATUS_VIEWS_PUBLIC) and not may_view(request):
                detail = "You do not have permission to see task results."
                return JsonResponse({"detail": detail}, status=403)
            try:
                return view(request, *args, **kwargs)
            except NotShown as exc:
                ident = kwargs.get(f"{kind}_id", args[0] if args else None)
                error = f"The stored result cannot be decoded: {exc}"
                return JsonResponse({kind: {"id": ident, "error": error}}, status=409)

        return wrapper

    return decorate


def _task_row(request: HttpRequest, task_id: str) -> Any:
    from .models import get_task_result_model

    return scoped(request, get_task_result_model()).filter(task_id=task_id).first()


@status_view("task")
def is_task_successful(request: HttpRequest, task_id: str) -> JsonResponse:
    """Return whether the task succeeded."""
    row = _task_row(request, task_id)
    if row is not None:
        stored_result(row)  # a 409 for content that is not shown, as for its status
    executed = row is not None and row.status == states.SUCCESS
    return JsonResponse({"task": {"id": task_id, "executed": executed}})


@status_view("task")
def task_status(request: HttpRequest, task_id: str) -> JsonResponse:
    """Return the task's status and result; for a failure, the exception and traceback."""
    answer = task_answer(
        task_id, _task_row(request, task_id), store_masking_rules(), may_view(request)
    )
    return JsonResponse({"task": answer})


def _group_tasks(request: HttpRequest, group_id: str) -> list[tuple[str, Any]] | None:
    """Return ``(task id, row or None)`` for each task of the group in scope; None for no group."""
    from .models import get_group_result_model, get_task_result_model

    group = scoped(request, get_group_result_model()).filter(group_id=group_id).first()
    if group is None:
        return None
    task_ids = group_children(group)
    rows = rows_by_task_id(scoped(request, get_task_result_model()), task_ids)
    if conf.get_scope_hook() is not None:
        # A task outside the scope is left out, and so is one with no row: alike.
        return [(task_id, rows[task_id]) for task_id in task_ids if task_id in rows]
    return [(task_id, rows.get(task_id)) for task_id in task_ids]


@status_view("group")
def is_group_successful(request: HttpRequest, group_id: str) -> JsonResponse:
    """Return whether each task of the group succeeded (an empty list for no group)."""
    tasks = _group_tasks(request, group_id) or []
    results = [
        {"id": task_id, "executed": row is not None and row.status == states.SUCCESS}
        for task_id, row in tasks
    ]
    return JsonResponse({"group": {"id": group_id, "results": results}})


@status_view("group")
def group_status(request: HttpRequest, group_id: str) -> JsonResponse:
    """Return the status and result of each task of the group; 404 for no group."""
    tasks = _group_tasks(request, group_id)
    if tasks is None:
        return JsonResponse({"group": {"id": group_id, "error": "no such group"}}, status=404)
    rules, show_traceback = store_masking_rules(), may_view(request)
    results = []
    for task_id, row in tasks:
        answer = task_answer(task_id, row, rules, show_traceback)
        results.append({"result": answer["result"], "status": answer["status"]})
    return JsonResponse({"group": {"id": group_id, "results": results}})
