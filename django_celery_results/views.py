"""JSON views of task and group status, as in django-celery-results."""

from __future__ import annotations

from celery import states
from celery.result import AsyncResult, GroupResult
from celery.utils import get_full_cls_name
from django.http import HttpRequest, JsonResponse
from kombu.utils.encoding import safe_repr


def is_task_successful(request: HttpRequest, task_id: str) -> JsonResponse:
    """Return whether the task succeeded."""
    return JsonResponse({"task": {"id": task_id, "executed": AsyncResult(task_id).successful()}})


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


def is_group_successful(request: HttpRequest, group_id: str) -> JsonResponse:
    """Return whether each task of the group succeeded (an empty list for no group)."""
    group = GroupResult.restore(group_id)
    results = [{"id": task.id, "executed": task.successful()} for task in group] if group else []
    return JsonResponse({"group": {"id": group_id, "results": results}})


def group_status(request: HttpRequest, group_id: str) -> JsonResponse:
    """Return the status and result of each task of the group; 404 for no group."""
    group = GroupResult.restore(group_id)
    if group is None:
        return JsonResponse({"group": {"id": group_id, "error": "no such group"}}, status=404)
    results = [{"result": task.result, "status": task.status} for task in group.results]
    return JsonResponse({"group": {"id": group_id, "results": results}})
