"""Minimal reference handlers for the read-path benchmark: raw SQL, rows to JSON by hand.

Each answers what one results_api endpoint answers, to whom it answers,
with the least code that can: the session's user must be staff (the API's
default permission; a handler that served these rows to anyone would not
be the same endpoint), then one SQL statement on Django's connection and
the standard library's json, no framework between.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden

TABLE = "testapp_taskresult"
COLUMNS = (
    "id, task_id, task_name, status, worker, periodic_task_name, date_created, date_started, "
    "date_done, task_args, task_kwargs, result, traceback, meta, content_type, tenant_id, "
    "priority, attempt"
)
JSON_COLUMNS = ("task_args", "task_kwargs", "result", "meta")
NAMES = [name.strip() for name in COLUMNS.split(",")]


def staff_only(handler: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer only a staff user of the session, as the API's default permission does."""

    @functools.wraps(handler)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            return HttpResponseForbidden()
        return handler(request, *args, **kwargs)

    return guarded


def _rows_to_json(rows: list[tuple]) -> list[dict]:
    items = []
    for row in rows:
        item = dict(zip(NAMES, row, strict=True))
        for name in JSON_COLUMNS:
            item[name] = json.loads(item[name]) if item[name] else None
        started, done = item["date_started"], item["date_done"]
        item["runtime"] = (done - started).total_seconds() if started and done else None
        for name in ("date_created", "date_started", "date_done"):
            item[name] = item[name].isoformat() if item[name] else None
        items.append(item)
    return items


def _page(sql: str, params: list) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    body = {"next": None, "previous": None, "results": _rows_to_json(rows[:50])}
    return HttpResponse(json.dumps(body), content_type="application/json")


@staff_only
def task_list(request: HttpRequest) -> HttpResponse:
    """First page of one tenant's tasks in one state (``?tenant=&status=``)."""
    return _page(
        f"SELECT {COLUMNS} FROM {TABLE} WHERE tenant_id = %s AND status = %s "
        "ORDER BY date_created DESC, id DESC LIMIT 51",
        [int(request.GET["tenant"]), request.GET["status"]],
    )


@staff_only
def task_list_after(request: HttpRequest) -> HttpResponse:
    """The page of all tasks after a (date_created, id) key (``?created=&id=``)."""
    return _page(
        f"SELECT {COLUMNS} FROM {TABLE} WHERE (date_created, id) < (%s, %s) "
        "ORDER BY date_created DESC, id DESC LIMIT 51",
        [request.GET["created"], int(request.GET["id"])],
    )


@staff_only
def task_search(request: HttpRequest) -> HttpResponse:
    """First page of the tasks whose indexed text holds each ``?text=`` (``&tenant=`` optional).

    The same side table and trigram index the API's search reads, without
    its parsing, masking rules, live part or excerpts.
    """
    texts = request.GET.getlist("text")
    like = " AND ".join(["text LIKE %s"] * len(texts))
    where, params = "", [f"%{text}%" for text in texts]
    if "tenant" in request.GET:
        where, params = " AND tenant_id = %s", [*params, int(request.GET["tenant"])]
    return _page(
        f"SELECT {COLUMNS} FROM {TABLE} WHERE id IN ("
        f"SELECT task_pk FROM results_api_tasksearchtext WHERE {like})"
        f"{where} ORDER BY date_created DESC, id DESC LIMIT 51",
        params,
    )


@staff_only
def task_detail(request: HttpRequest, task_id: str) -> HttpResponse:
    """One task by its id."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE task_id = %s", [task_id])
        rows = cursor.fetchall()
    return HttpResponse(json.dumps(_rows_to_json(rows)[0]), content_type="application/json")


@staff_only
def task_stats(request: HttpRequest) -> HttpResponse:
    """Counts and runtime aggregates per status for one tenant (``?date_done__gte=``)."""
    runtime = "EXTRACT(EPOCH FROM date_done - date_started)"
    where, params = "tenant_id = %s", [int(request.GET["tenant"])]
    if "date_done__gte" in request.GET:
        where += " AND date_done >= %s"
        params.append(request.GET["date_done__gte"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT status, COUNT(*), AVG({runtime}), MAX({runtime}), "
            f"PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY {runtime}), "
            f"PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY {runtime}) "
            f"FROM {TABLE} WHERE {where} GROUP BY status ORDER BY status",
            params,
        )
        rows = cursor.fetchall()
    results = [
        {
            "status": status,
            "count": count,
            "runtime_avg": float(avg) if avg is not None else None,
            "runtime_max": float(high) if high is not None else None,
            "runtime_p50": p50,
            "runtime_p95": p95,
        }
        for status, count, avg, high, p50, p95 in rows
    ]
    return HttpResponse(json.dumps({"results": results}), content_type="application/json")
