"""Write path: task lifecycles per second, ours against the raw floor and the public package.

    python -m benchmarks.write_path [--db postgres|sqlite|both] [--tasks 1000] [--rounds 7]

A lifecycle is STARTED then SUCCESS through ``app.backend.store_result``
with a worker's request, ``result_extended`` on, and the extend-props
callback filling the test app's custom model (tenant, priority, attempt).
The floor writes the same rows, columns and payloads with one prepared
``INSERT ... ON CONFLICT (task_id) DO UPDATE`` per state through the
driver, in autocommit. The public django-celery-results 2.6.0 runs in a
virtualenv of its own, against its default table in a database of its own
on the same server. Each side runs on one CPU together with the database
server process that serves it (``harness.pin_to_one_cpu``): unpinned, a
round trip costs 40 to 150 us depending on where the scheduler puts the
two, which would decide the ratios. On PostgreSQL both sides are then
measured again with the client on one CPU and the server processes on the
other (``harness.pin_apart``), as a worker and its database on separate
cores run: sharing one CPU, each side works with caches the other has just
filled, which multiplies the cost of the client's own code (3 to 5 times
on this machine). Ratios are medians of the per-round ratios.

Targets: >= 0.8 of the floor on PostgreSQL (where commits do not wait for
the disk, the CPU-bound case: ``synchronous_commit=off``) and on SQLite, 2
statements per lifecycle, ``get_task_meta`` <= 1.3x a raw SELECT by task_id.
The report says how durable the database was (PostgreSQL's
``synchronous_commit`` and ``fsync``, SQLite's ``journal_mode`` and
``synchronous``) and the load average.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM_DB = "cra_bench_upstream"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--tasks", type=int, default=1000, help="lifecycles per side and round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--no-upstream", action="store_true", help="skip the public package")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return measure(args)
    met = True
    for db in ("postgres", "sqlite") if args.db == "both" else (args.db,):
        env = {**os.environ, "BENCH_DB": db, "BENCH_DB_NAME": "cra_bench_write"}
        command = [sys.executable, "-m", "benchmarks.write_path", "--child", "--db", db,
                   "--tasks", str(args.tasks), "--rounds", str(args.rounds)]  # fmt: skip
        if args.no_upstream:
            command.append("--no-upstream")
        met &= subprocess.run(command, env=env, cwd=ROOT).returncode == 0
    return 0 if met else 1


def prepare(db: str) -> tuple[Any, int, Floor]:
    """Set up a write benchmark on ``db`` (``BENCH_DB_NAME``): a new database, migrated, one
    tenant, a backend, and the floor; this process pinned to one CPU with the server.
    Return (backend, tenant id, floor)."""
    from benchmarks import harness

    if db == "postgres":
        harness.recreate_pg_database(os.environ["BENCH_DB_NAME"])
    else:
        Path(harness_sqlite_path()).unlink(missing_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()
    from celery import Celery
    from django.core.management import call_command
    from django.db import connection

    from tests.testapp.models import Tenant

    call_command("migrate", verbosity=0)
    tenant_id = Tenant.objects.create(name="bench").id
    app = Celery(set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    backend = app.backend
    floor = Floor(db, backend, tenant_id)
    harness.pin_with_server(connection, *floor.server_pids())
    return backend, tenant_id, floor


def measure(args: argparse.Namespace) -> int:
    db = args.db
    backend, tenant_id, floor = prepare(db)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from benchmarks import harness
    from benchmarks.workload import lifecycle, make_request, requests, task_ids

    upstream = Upstream(db) if not args.no_upstream else None

    with CaptureQueriesContext(connection) as queries:
        lifecycle(backend, make_request("probe", tenant_id))
    ours_statements = len(queries)

    def ours() -> float:
        batch = requests(args.tasks, tenant_id)
        return harness.rate(args.tasks, lambda: [lifecycle(backend, r) for r in batch])

    def floor_rate() -> float:
        ids = task_ids(args.tasks)
        return harness.rate(args.tasks, lambda: [floor.lifecycle(i) for i in ids])

    measures = {"floor": floor_rate, "ours": ours}
    if upstream:
        measures["upstream"] = lambda: upstream.run("write", args.tasks)["rate"]
    print(f"write path on {db}: {args.tasks} lifecycles x {args.rounds} rounds", flush=True)
    writes = harness.Sides()
    writes.run(measures, args.rounds)

    read_batch = requests(args.tasks, tenant_id)
    for request in read_batch:
        lifecycle(backend, request)
    read_ids = [request.id for request in read_batch]

    def ours_read() -> float:
        return harness.rate(
            args.tasks, lambda: [backend.get_task_meta(i, cache=False) for i in read_ids]
        )

    def raw_read() -> float:
        return harness.rate(args.tasks, lambda: [floor.select(i) for i in read_ids])

    reads = harness.Sides()
    read_measures = {"raw select": raw_read, "ours": ours_read}
    if upstream:
        read_measures["upstream"] = lambda: upstream.run("read", args.tasks)["rate"]
    reads.run(read_measures, args.rounds)

    ours_rate, floor_rate_ = writes.median("ours"), writes.median("floor")
    ours_ratio = writes.ratio("ours", "floor")
    figures = [
        ("durability", durability(connection)),
        ("load average (1, 5, 15 min)", " ".join(f"{load:.2f}" for load in os.getloadavg())),
        ("floor (prepared upsert)", f"{floor_rate_:,.0f} lifecycles/s"),
        ("ours", f"{ours_rate:,.0f} lifecycles/s = {ours_ratio:.2f} of the floor"),
        ("statements per lifecycle, ours", str(ours_statements)),
        ("raw SELECT by task_id", f"{reads.median('raw select'):,.0f}/s"),
        ("get_task_meta, ours", f"{reads.median('ours'):,.0f}/s"),
    ]
    if db == "postgres":
        # The same sides again with the client and its servers on separate CPUs.
        harness.pin_apart(*floor.server_pids(), *harness.server_pids(connection))
        apart = harness.Sides()
        apart.run({"floor": floor_rate, "ours": ours}, args.rounds)
        apart_reads = harness.Sides()
        apart_reads.run({"raw select": raw_read, "ours": ours_read}, args.rounds)
        figures += [
            (
                "on two CPUs (client, servers)",
                f"floor {apart.median('floor'):,.0f}, ours {apart.median('ours'):,.0f}"
                f" lifecycles/s = {apart.ratio('ours', 'floor'):.2f} of the floor",
            ),
            (
                "get_task_meta on two CPUs",
                f"{apart_reads.ratio('raw select', 'ours'):.2f}x a raw SELECT",
            ),
        ]
    if upstream:
        up = writes.median("upstream")
        figures += [
            ("django-celery-results 2.6.0", f"{up:,.0f} lifecycles/s = "
             f"{writes.ratio('upstream', 'floor'):.2f} of the floor; ours = "
             f"{writes.ratio('ours', 'upstream'):.2f}x it"),
            ("statements per lifecycle, 2.6.0", str(upstream.statements)),
            ("get_task_meta, 2.6.0", f"{reads.median('upstream'):,.0f}/s = "
             f"{reads.ratio('raw select', 'upstream'):.2f}x a raw SELECT"),
        ]  # fmt: skip
    targets = [
        harness.Target(
            f"{db}: ours / floor" + (" (one CPU)" if db == "postgres" else ""), ours_ratio, 0.8
        ),
        harness.Target("statements per lifecycle", ours_statements, 2, higher_is_better=False),
        harness.Target(
            "get_task_meta cost / raw SELECT",
            reads.ratio("raw select", "ours"),
            1.3,
            higher_is_better=False,
            unit="x",
        ),
    ]
    return 0 if harness.report(f"write path, {db}", figures, targets) else 1


def durability(connection) -> str:
    """Say how durable the database's commits were: whether a commit waited for the disk."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_setting('synchronous_commit'), current_setting('fsync')")
            synchronous_commit, fsync = cursor.fetchone()
            return f"synchronous_commit={synchronous_commit}, fsync={fsync}"
        cursor.execute("PRAGMA journal_mode")
        journal_mode = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[cursor.fetchone()[0]]
        return f"journal_mode={journal_mode}, synchronous={synchronous}"


def harness_sqlite_path() -> str:
    from benchmarks.settings import VAR

    return str(VAR / f"{os.environ['BENCH_DB_NAME']}.sqlite3")


class Floor:
    """The same rows written by one prepared upsert per state through the driver."""

    COLUMNS = (
        "task_id", "status", "result", "traceback", "meta", "content_type", "content_encoding",
        "task_name", "task_args", "task_kwargs", "worker", "periodic_task_name",
        "tenant_id", "priority", "attempt", "date_done", "date_created",
    )  # fmt: skip

    def __init__(self, db: str, backend, tenant_id: int) -> None:
        from benchmarks.workload import RESULT, STARTED_META, make_request

        request = make_request("x", tenant_id)
        encode = backend.encode_content
        self.payload = {
            "traceback": None,
            "meta": encode({"children": []})[2],
            "content_type": "application/json",
            "content_encoding": "utf-8",
            "task_name": request.task,
            "task_args": encode(request.argsrepr)[2],
            "task_kwargs": encode(request.kwargsrepr)[2],
            "worker": request.hostname,
            "periodic_task_name": None,
            "tenant_id": tenant_id,
            "priority": "high",
            "attempt": 0,
        }
        self.started_result = encode(STARTED_META)[2]
        self.result = encode(RESULT)[2]
        self.db = db
        mark = "?" if db == "sqlite" else "%s"
        table = "testapp_taskresult"

        def upsert(columns: tuple[str, ...]) -> str:
            sets = ", ".join(
                f"{c} = EXCLUDED.{c}" for c in columns if c not in ("task_id", "date_created")
            )
            return (
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                f"({', '.join([mark] * len(columns))}) ON CONFLICT (task_id) DO UPDATE SET {sets}"
            )

        self.started_sql = upsert((*self.COLUMNS, "date_started"))
        self.success_sql = upsert(self.COLUMNS)
        self.select_sql = (
            "SELECT task_id, task_name, task_args, task_kwargs, status, result, date_done, "
            f"traceback, meta, worker, content_type, content_encoding FROM {table} "
            f"WHERE task_id = {mark}"
        )
        if db == "postgres":
            import psycopg

            from benchmarks.harness import pg_dsn

            self.connection = psycopg.connect(pg_dsn(os.environ["BENCH_DB_NAME"]), autocommit=True)
            cursor = self.connection.cursor()
            self.execute = lambda sql, params: cursor.execute(sql, params, prepare=True)
            self.fetchone = cursor.fetchone
        else:
            import sqlite3

            self.connection = sqlite3.connect(harness_sqlite_path(), isolation_level=None)
            # The same foreign key checks as Django's connection makes.
            self.connection.execute("PRAGMA foreign_keys = ON")
            cursor = self.connection.cursor()
            self.execute = cursor.execute
            self.fetchone = cursor.fetchone

    def _params(self, task_id: str, status: str, result: str, started: bool) -> tuple:
        now = datetime.datetime.now(datetime.timezone.utc)
        if self.db == "sqlite":
            now = now.isoformat(sep=" ")
        p = self.payload
        values = (
            task_id, status, result, p["traceback"], p["meta"], p["content_type"],
            p["content_encoding"], p["task_name"], p["task_args"], p["task_kwargs"],
            p["worker"], p["periodic_task_name"], p["tenant_id"], p["priority"], p["attempt"],
            now, now,
        )  # fmt: skip
        return (*values, now) if started else values

    def lifecycle(self, task_id: str) -> None:
        self.execute(self.started_sql, self._params(task_id, "STARTED", self.started_result, True))
        self.execute(self.success_sql, self._params(task_id, "SUCCESS", self.result, False))

    def server_pids(self) -> list[int]:
        """The database server process of the floor's connection (none for SQLite)."""
        return [self.connection.info.backend_pid] if self.db == "postgres" else []

    def select(self, task_id: str) -> tuple:
        self.execute(self.select_sql, (task_id,))
        return self.fetchone()


class Upstream:
    """The public package in its own virtualenv and database, driven per round."""

    def __init__(self, db: str) -> None:
        from benchmarks import harness, upstream

        self.python = upstream.upstream_python()
        self.env = {
            k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")
        }
        if db == "postgres":
            harness.recreate_pg_database(UPSTREAM_DB)
            self.env["BENCH_DB_NAME"] = UPSTREAM_DB
        else:
            path = Path(harness_sqlite_path()).with_name(f"{UPSTREAM_DB}.sqlite3")
            path.unlink(missing_ok=True)
            self.env["BENCH_DB_NAME"] = str(path)
        self.run("migrate")
        self.statements = self.run("write", 10)["statements"]

    def run(self, *args) -> dict:
        driver = Path(__file__).with_name("upstream_driver.py")
        output = subprocess.run(
            [str(self.python), str(driver), *map(str, args)],
            env=self.env, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return json.loads(output.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main())
