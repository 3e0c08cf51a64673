"""Smoke tests of ``./sandbox/run``: the README's first command, from start to Ctrl-C."""

from __future__ import annotations

import datetime
import json
import os
import signal
import socket
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from .harness import (
    TASK_TIMEOUT,
    Sandbox,
    is_running,
    kill_sandbox,
    process_tree,
    start_sandbox,
    wait_for,
    wait_for_tenant_rows,
)

# Each starts ./sandbox/run: long runs.
pytestmark = pytest.mark.slow


def test_run_prints_the_urls_and_the_demo_logins(sandbox: Sandbox) -> None:
    output = sandbox.output
    for path in ("/", "/api/results/tasks/", "/api/schema/swagger-ui/", "/admin/"):
        assert f"{sandbox.url}{path}" in output
    assert 'password "sandbox"' in output
    for username in ("admin", "acme", "globex", "initech"):
        assert username in output


def test_worker_stores_demo_tasks_with_their_tenant(sandbox: Sandbox) -> None:
    rows = wait_for_tenant_rows(sandbox, tenants=3)
    assert {slug for slug, *_ in rows} == {"acme", "globex", "initech"}
    assert all(name and "." in name for _, _, name, _ in rows)


def test_api_gives_a_tenant_login_only_its_tenant_rows(sandbox: Sandbox) -> None:
    wait_for_tenant_rows(sandbox, tenants=3)
    ((acme_id,),) = sandbox.query("SELECT id FROM tenants_tenant WHERE slug = 'acme'")

    status, body, _ = sandbox.get("/api/results/tasks/?page_size=200", username="acme")
    assert status == 200, body[:500]
    rows = json.loads(body)["results"]
    assert rows
    assert {row["tenant"] for row in rows} == {acme_id}

    status, body, _ = sandbox.get("/api/results/tasks/?page_size=200", username="admin")
    assert status == 200, body[:500]
    assert len({row["tenant"] for row in json.loads(body)["results"]}) >= 2


def test_api_counts_by_status_and_minute_for_the_dashboard(sandbox: Sandbox) -> None:
    wait_for_tenant_rows(sandbox, tenants=1)
    status, body, _ = sandbox.get("/api/results/tasks/stats/?group_by=status", username="globex")
    assert status == 200, body[:500]
    assert any(row["status"] == "SUCCESS" for row in json.loads(body)["results"])

    now = datetime.datetime.now(datetime.timezone.utc)
    since = (now - datetime.timedelta(minutes=30)).isoformat()
    status, body, _ = sandbox.get(
        f"/api/results/tasks/stats/?interval=minute&date_done__gte={quote(since)}",
        username="globex",
    )
    assert status == 200, body[:500]
    assert sum(row["count"] for row in json.loads(body)["results"]) > 0


def test_api_shows_a_tenant_member_the_traceback_of_its_failed_task(sandbox: Sandbox) -> None:
    def failure() -> tuple | None:
        rows = sandbox.query(
            "SELECT t.slug, r.task_id FROM tenants_taskresult r"
            " JOIN tenants_tenant t ON t.id = r.tenant_id WHERE r.status = 'FAILURE'"
        )
        return rows[0] if rows else None

    username, task_id = wait_for(failure, TASK_TIMEOUT, "a failed demo task")
    status, body, _ = sandbox.get(f"/api/results/tasks/{task_id}/", username=username)
    assert status == 200, body[:500]
    task = json.loads(body)
    assert task["status"] == "FAILURE"
    assert "Traceback" in task["traceback"]

    other = "globex" if username != "globex" else "acme"
    status, _, _ = sandbox.get(f"/api/results/tasks/{task_id}/", username=other)
    assert status == 404


def test_the_mounted_status_views_show_nothing_to_a_user_without_the_permission(
    sandbox: Sandbox,
) -> None:
    task_id = wait_for_tenant_rows(sandbox, tenants=1)[0][1]
    for path in (f"/celery/task/status/{task_id}/", f"/celery/{task_id}/status/"):
        status, body, _ = sandbox.get(path)  # anonymous: Basic auth is the API's alone
        assert status == 403, body[:300]
        assert task_id.encode() not in body


def test_dashboard_needs_a_login_and_schema_pages_use_no_cdn(sandbox: Sandbox) -> None:
    status, _, final_url = sandbox.get("/")
    assert status == 200
    assert "/accounts/login/" in final_url

    status, body, _ = sandbox.get("/api/schema/swagger-ui/", accept="text/html")
    assert status == 200
    page = body.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()

    status, body, _ = sandbox.get("/api/schema/?format=json")
    assert status == 200
    assert "tenant__in" in body.decode()


def test_ctrl_c_stops_every_process_it_started(sandbox: Sandbox) -> None:
    tree = wait_for(
        lambda: (t := process_tree(sandbox.process.pid)) and len(t) >= 4 and t,
        30,
        "the worker, the web server and the producer",
    )
    commands = " ".join(tree.values())
    for expected in ("celery -A project worker", "runserver", "demo_tasks"):
        assert expected in commands
    port = int(sandbox.url.rsplit(":", 1)[1])

    assert sandbox.stop(timeout=60) == 128 + signal.SIGINT, sandbox.diagnostics()

    left = {pid: command for pid, command in tree.items() if is_running(pid)}
    assert not left, f"still running after Ctrl-C: {left}"
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the web server still listens"
    assert "stopped" in sandbox.output


@pytest.mark.postgres
def test_run_uses_postgresql_and_redis_from_the_environment(tmp_path: Path) -> None:
    """The documented switches: SANDBOX_PG_* for the database, SANDBOX_BROKER_URL for Redis."""
    import psycopg

    name = f"sandbox_test_{uuid.uuid4().hex[:8]}"
    server = {
        "host": os.environ.get("CRA_PG_HOST", "127.0.0.1"),
        "port": os.environ.get("CRA_PG_PORT", "5432"),
        "user": os.environ.get("CRA_PG_USER", "postgres"),
    }
    redis_url = os.environ.get("CRA_REDIS_URL", "redis://127.0.0.1:6379/0")

    def query(sql: str, params: tuple = ()) -> list[tuple]:
        try:
            with psycopg.connect(**server, dbname=name, connect_timeout=5) as connection:
                return connection.execute(sql.replace("?", "%s"), params).fetchall()
        except psycopg.Error:
            return []  # not created or not migrated yet

    env = {
        "SANDBOX_PG_HOST": server["host"],
        "SANDBOX_PG_PORT": str(server["port"]),
        "SANDBOX_PG_USER": server["user"],
        "SANDBOX_PG_NAME": name,
        "SANDBOX_BROKER_URL": redis_url,
        # A queue of its own, so that concurrent suites on the same Redis never mix.
        "SANDBOX_QUEUE": f"sandbox-{uuid.uuid4().hex[:8]}",
    }
    sandbox = start_sandbox(tmp_path / "var", env)
    sandbox.database = query
    try:
        assert "PostgreSQL" in sandbox.output
        assert "redis broker" in sandbox.output
        wait_for_tenant_rows(sandbox, tenants=1)
        status, body, _ = sandbox.get("/api/results/tasks/", username="initech")
        assert status == 200, body[:500]
        assert sandbox.stop(timeout=60) == 128 + signal.SIGINT, sandbox.diagnostics()
    finally:
        kill_sandbox(sandbox)
        with psycopg.connect(**server, dbname="postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
