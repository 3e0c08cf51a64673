"""The extend-task-props callback: store the ``tenant_id`` kwarg of a task with each result."""

from typing import Any


def extend_task_props(request: Any, task_properties: dict[str, Any]) -> dict[str, Any]:
    """Return the tenant of the task, from its ``tenant_id`` keyword argument.

    A state stored without a request (a revoke sent by a client) returns
    nothing, so that the tenant stored before it is kept.
    """
    task_kwargs = getattr(request, "kwargs", None) or {}
    if "tenant_id" not in task_kwargs:
        return {}
    return {"tenant_id": task_kwargs["tenant_id"]}
