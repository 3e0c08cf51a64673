"""Run by test_upstream_migration in a subprocess, with the public or with our package.

    python driver.py store-upstream   store results the way a worker would, print the ids
    python driver.py store-ours       store a success and a failure, print the ids
    python driver.py read IDS_JSON    read back tasks and groups, print what the backend returns
    python driver.py whoami           print which django_celery_results is imported

Django settings come from ``DJANGO_SETTINGS_MODULE``; the output is one JSON line.
"""

import json
import sys
import traceback
import uuid

import django

django.setup()

from celery import Celery  # noqa: E402
from celery.app.task import Context  # noqa: E402
from celery.result import AsyncResult, GroupResult  # noqa: E402

app = Celery("compat")
app.config_from_object("django.conf:settings", namespace="CELERY")
backend = app.backend

SUCCESS_RESULT = {
    "answer": 42,
    "nested": [1, 2.5, None, True, {"k": "v"}],
    "text": "ünïcødé ✓",
}


def new_id() -> str:
    return str(uuid.uuid4())


def request(task_id: str, name: str, args=(), kwargs=None, group=None) -> Context:
    """A task request as a worker builds it, enough for the extended result fields."""
    return Context(
        id=task_id,
        task=name,
        args=list(args),
        kwargs=kwargs or {},
        hostname="compat-worker@localhost",
        retries=0,
        delivery_info={"routing_key": "celery", "exchange": ""},
        group=group,
        chord=None,
        errbacks=None,
        callbacks=None,
        ignore_result=False,
    )


def store_failure(task_id: str, req: Context) -> None:
    try:
        raise ValueError("compat boom", 7)
    except ValueError as exc:
        backend.mark_as_failure(task_id, exc, traceback=traceback.format_exc(), request=req)


def store_upstream() -> dict:
    ids = {}
    ids["success"] = new_id()
    backend.mark_as_done(
        ids["success"],
        SUCCESS_RESULT,
        request=request(ids["success"], "compat.success", (1, "two"), {"three": 3}),
    )

    ids["failure"] = new_id()
    store_failure(ids["failure"], request(ids["failure"], "compat.failure", (), {"x": [1]}))

    ids["started_then_done"] = new_id()
    req = request(ids["started_then_done"], "compat.slow", (5,))
    # What a worker stores with task_track_started, then on success.
    backend.store_result(
        ids["started_then_done"], {"pid": 1234, "hostname": req.hostname}, "STARTED", request=req
    )
    backend.mark_as_done(ids["started_then_done"], [1, 2, 3], request=req)

    ids["group"] = new_id()
    members = [new_id(), new_id()]
    ids["group_members"] = members
    for index, member in enumerate(members):
        backend.mark_as_done(
            member,
            index * 10,
            request=request(member, "compat.member", (index,), group=ids["group"]),
        )
    backend.save_group(
        ids["group"], GroupResult(ids["group"], [AsyncResult(m, app=app) for m in members], app=app)
    )
    return ids


def store_ours() -> dict:
    ids = {"ours_success": new_id(), "ours_failure": new_id()}
    backend.mark_as_done(
        ids["ours_success"],
        {"written": "by ours"},
        request=request(ids["ours_success"], "compat.ours", (9,), {"y": None}),
    )
    store_failure(ids["ours_failure"], request(ids["ours_failure"], "compat.ours_fail"))
    return ids


def plain(value):
    """JSON-able form of a result, exceptions by type and arguments."""
    if isinstance(value, BaseException):
        return {
            "exception": f"{type(value).__module__}.{type(value).__qualname__}",
            "args": list(value.args),
        }
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(value)


def read_task(task_id: str) -> dict:
    result = AsyncResult(task_id, app=app)
    meta = backend.get_task_meta(task_id)
    return {
        "state": result.state,
        "get": plain(result.get(propagate=False, timeout=10, disable_sync_subtasks=False)),
        "traceback": result.traceback,
        "name": result.name,
        "args": plain(result.args),
        "kwargs": plain(result.kwargs),
        "worker": result.worker,
        "retries": result.retries,
        "queue": result.queue,
        "date_done": plain(result.date_done),
        "meta": plain({k: v for k, v in meta.items() if k != "date_done"}),
    }


def read(ids: dict) -> dict:
    out = {"tasks": {}, "groups": {}}
    for key, value in ids.items():
        if key == "group":
            group = GroupResult.restore(value, app=app)
            out["groups"][key] = (
                None
                if group is None
                else {
                    "id": group.id,
                    "members": [r.id for r in group.results],
                    "states": [r.state for r in group.results],
                    "values": [plain(r.get(propagate=False, timeout=10)) for r in group.results],
                }
            )
        elif isinstance(value, list):
            for member in value:
                out["tasks"][member] = read_task(member)
        else:
            out["tasks"][key] = read_task(value)
    return out


def whoami() -> dict:
    import django_celery_results

    return {
        "file": django_celery_results.__file__,
        "version": getattr(django_celery_results, "__version__", None),
        "backend": f"{type(backend).__module__}.{type(backend).__qualname__}",
        "django": django.get_version(),
    }


def main(argv: list[str]) -> None:
    command = argv[1]
    if command == "store-upstream":
        out = store_upstream()
    elif command == "store-ours":
        out = store_ours()
    elif command == "read":
        out = read(json.loads(argv[2]))
    elif command == "whoami":
        out = whoami()
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv)
