"""The test app's extend-task-props callback: the seed's steps plus two more fields."""


def extend_task_props(request, task_properties):
    """Store the task's ``tenant_id`` kwarg, its priority and its attempt number."""
    task_kwargs = getattr(request, "kwargs", None) or {}
    return {
        "tenant_id": task_kwargs.get("tenant_id"),
        "priority": task_kwargs.get("priority", "normal"),
        "attempt": getattr(request, "retries", None),
    }
