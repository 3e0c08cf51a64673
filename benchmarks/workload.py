"""The task lifecycle every write-path side stores: same request, same payload sizes.

Imported by the upstream driver too, so it needs only Celery.
"""

from __future__ import annotations

import uuid

from celery.app.task import Context

TASK_NAME = "reports.tasks.build_report"
STARTED_META = {"pid": 4242, "hostname": "celery@worker-1"}
RESULT = {"rows": 1284, "status": "ok", "elapsed_ms": 412.5, "pages": list(range(12))}


def task_ids(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


def make_request(task_id: str, tenant_id: int | None) -> Context:
    """Return a request shaped like the one a worker passes to the result backend."""
    args = ("2026-11", "pdf")
    kwargs = {"tenant_id": tenant_id, "priority": "high", "notify": True}
    return Context(
        id=task_id,
        task=TASK_NAME,
        args=list(args),
        kwargs=kwargs,
        argsrepr=repr(args),
        kwargsrepr=repr(kwargs),
        hostname="celery@worker-1",
        retries=0,
        delivery_info={"exchange": "", "routing_key": "celery", "priority": 0},
        correlation_id=task_id,
        origin="gen1234@web-1",
        group=None,
        parent_id=None,
        root_id=task_id,
    )


def requests(count: int, tenant_id: int | None) -> list[Context]:
    """Return ``count`` requests of new tasks, made before the timing starts (a worker has them)."""
    return [make_request(task_id, tenant_id) for task_id in task_ids(count)]


def lifecycle(backend, request: Context) -> None:
    """Store STARTED then SUCCESS for one task, as a worker with track_started does."""
    task_id = request.id
    backend.store_result(
        task_id, {"pid": 4242, "hostname": "celery@worker-1"}, "STARTED", request=request
    )
    backend.store_result(task_id, RESULT, "SUCCESS", request=request)
