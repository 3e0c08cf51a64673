"""JSON views of task and group status, as in django-celery-results.

A result stored in a format the backend does not accept (``accept_content``:
pickle, say) or that no longer decodes is answered with a 409 that says so,
where django-celery-results fails with a 500; it is never decoded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from celery import states
from celery.result import AsyncResult, GroupResult
from celery.utils import get_full_cls_name
from django.http import HttpRequest, JsonResponse
from kombu.exceptions import ContentDisallowed, DecodeError
from kombu.utils.encoding import safe_repr

StatusView = Callable[..., JsonResponse]


def refuses_undecodable(kind: str) -> Callable[[StatusView], StatusView]:
    """Answer 409, naming the reason, when the stored content of ``kind`` cannot be decoded.

    The view takes the id as ``f"{kind}_id"``, by keyword (URL patterns) or by position.
    """

    def decorate(view: StatusView) -> StatusView:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: str, **kwargs: str) -> JsonResponse:
            try:
                return view(request, *args, **kwargs)
            except (ContentDisallowed, DecodeError) as exc:
                ident = kwargs.get(f"{kind}_id", args[0] if args else None)
                error = f"The stored result cannot be decoded: {exc}"
                return JsonResponse({kind: {"id": ident, "error": error}}, status=409)

        return wrapper

    return decorate


@refuses_undecodable("task")
def is_task_successful(request: HttpRequest, task_id: str) -> JsonResponse:
    """Return whether the task succeeded."""
    return JsonResponse({"task": {"id": task_id, "executed": AsyncResult(task_id).successful()}})


@refuses_undecodable("task")
def task_status(request: HttpRequest, task_id: str) -> JsonResponse:
    """Return the task's status and result; for a failure, the exception and traceback."""
    result = AsyncResult(task_id)
    state, retval = result.state, result.result
    data = {"id": task_id, "status": state, "result": retval}
    if state in states.EXCEPTION_STATES:
        data.update(
            result=safe_repr(retval),
            exc=get_full_cls_name(retval.__class__),
            traceback=result.traceback,
        )
    return JsonResponse({"task": data})


@refuses_undecodable("group")
def is_group_successful(request: HttpRequest, group_id: str) -> JsonResponse:
    """Return whether each task of the group succeeded (an empty list for no group)."""
    group = GroupResult.restore(group_id)
    results = [{"id": task.id, "executed": task.successful()} for task in group] if group else []
    return JsonResponse({"group": {"id": group_id, "results": results}})


@refuses_undecodable("group")
def group_status(request: HttpRequest, group_id: str) -> JsonResponse:
    """Return the status and result of each task of the group; 404 for no group."""
    group = GroupResult.restore(group_id)
    if group is None:
        return JsonResponse({"group": {"id": group_id, "error": "no such group"}}, status=404)
    results = [{"result": task.result, "status": task.status} for task in group.results]
    return JsonResponse({"group": {"id": group_id, "results": results}})
