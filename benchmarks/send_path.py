"""Send path: what ``CELERY_RESULTS_TRACK_SENT`` costs the sender, per task.

    python -m benchmarks.send_path [--db postgres|sqlite|both] [--tasks 500] [--rounds 7]

Each side sends ``--tasks`` tasks with ``apply_async`` (args and a
``tenant_id`` kwarg) to a Redis queue no worker consumes (the broker of
the tests, ``CRA_REDIS_URL``), with the test app's custom model and
extend-props callback:

* off: tracking off, the reference;
* on: tracking on, timed until every PENDING row is stored
  (``recorder.flush()``), so the writer thread's work in the same process
  is counted too;
* on, sender only: tracking on, the sending thread's own time (the rows
  are stored by the writer meanwhile).

Then a group of 1,000 tasks with tracking on: its statements and the time
until its rows are stored, against the same group sent without tracking.

Each figure is reported as wall time and as the CPU time of the sending
process (all its threads, the writer included): on a busy machine the
wall time of a Redis round trip varies far more than the work done.

Targets: tracking on costs at most 1.5x apply_async without it (wall and
CPU); a group of 1,000 tasks is stored in at most 10 statements.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GROUP_SIZE = 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--tasks", type=int, default=500, help="tasks per side and round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return measure(args)
    met = True
    for db in ("postgres", "sqlite") if args.db == "both" else (args.db,):
        env = {**os.environ, "BENCH_DB": db, "BENCH_DB_NAME": "cra_bench_send"}
        command = [sys.executable, "-m", "benchmarks.send_path", "--child", "--db", db,
                   "--tasks", str(args.tasks), "--rounds", str(args.rounds)]  # fmt: skip
        met &= subprocess.run(command, env=env, cwd=ROOT).returncode == 0
    return 0 if met else 1


def measure(args: argparse.Namespace) -> int:
    from benchmarks import harness

    db = args.db
    if db == "postgres":
        harness.recreate_pg_database(os.environ["BENCH_DB_NAME"])
    else:
        Path(sqlite_path()).unlink(missing_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()
    from celery import Celery, group
    from django.core.management import call_command
    from django.db.backends.signals import connection_created
    from django.test.utils import override_settings

    from django_celery_results import recorder
    from django_celery_results.models import get_task_result_model
    from tests.testapp.models import Tenant

    call_command("migrate", verbosity=0)
    tenant_id = Tenant.objects.create(name="bench").id
    app = Celery("bench", set_as_current=True)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = os.environ.get("CRA_REDIS_URL", "redis://127.0.0.1:63799/0")

    @app.task(name="bench.add")
    def add(x, y, tenant_id=None):
        return x + y

    queue = f"bench-send-{uuid.uuid4().hex[:8]}"
    model = get_task_result_model()
    tracking = override_settings(CELERY_RESULTS_TRACK_SENT=True)

    def send(count: int) -> None:
        for number in range(count):
            add.apply_async((number, 1), {"tenant_id": tenant_id}, queue=queue)

    cpu = harness.Sides()  # the sending process's CPU time, all its threads

    def off() -> float:
        return timed("off", lambda: send(args.tasks))

    def on() -> float:
        with tracking:
            return timed("on", lambda: (send(args.tasks), recorder.flush()))

    def on_sender_only() -> float:
        with tracking:
            seconds = timed("on, sender only", lambda: send(args.tasks))
            recorder.flush()
        return seconds

    def timed(side: str, work) -> float:
        """Return the wall time per task in us; keep the process's CPU time per task."""
        started, started_cpu = time.perf_counter(), time.process_time()
        work()
        used = time.process_time() - started_cpu
        cpu.rounds.setdefault(side, []).append(used / args.tasks * 1e6)
        return (time.perf_counter() - started) / args.tasks * 1e6

    send(20)  # open the broker connection and warm up both paths
    with tracking:
        send(20)
        recorder.flush()
    print(f"send path on {db}: {args.tasks} tasks x {args.rounds} rounds", flush=True)
    sides = harness.Sides()
    sides.run({"off": off, "on": on, "on, sender only": on_sender_only}, args.rounds)
    stored = model._default_manager.filter(status="PENDING").count()

    # A group of 1,000 tasks: statements of the writer thread, time until stored.
    statements: list[str] = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    def on_connection(sender, connection, **kwargs):
        if threading.current_thread().name == "celery-results-sent":
            connection.execute_wrappers.append(count)

    recorder.recorder = recorder.SentTaskRecorder()  # a new thread: a new, counted connection
    connection_created.connect(on_connection)
    signatures = [add.s(n, 1, tenant_id=tenant_id).set(queue=queue) for n in range(GROUP_SIZE)]
    group_off = timed_group(lambda: group(signatures).apply_async())
    with tracking:
        group_on = timed_group(lambda: (group(signatures).apply_async(), recorder.flush()))
    connection_created.disconnect(on_connection)
    inserts = sum(1 for sql in statements if sql.lstrip().upper().startswith("INSERT"))

    with app.connection_for_write() as connection:
        connection.default_channel.queue_delete(queue)

    cost_off, cost_on = sides.median("off"), sides.median("on")
    sender_only = sides.median("on, sender only")
    cpu_off, cpu_on = cpu.median("off"), cpu.median("on")
    figures = [
        ("apply_async, tracking off", f"{cost_off:,.0f} us per task (wall), "
         f"{cpu_off:,.0f} us CPU of the process"),
        ("apply_async, tracking on", f"{cost_on:,.0f} us per task = {cost_on / cost_off:.2f}x "
         f"(wall, until stored), {cpu_on:,.0f} us CPU = {cpu_on / cpu_off:.2f}x"),
        ("  on, the sending thread alone", f"{sender_only:,.0f} us per task (wall)"),
        ("added by tracking", f"{cost_on - cost_off:+,.0f} us per task (wall), "
         f"{cpu_on - cpu_off:+,.0f} us CPU"),
        ("PENDING rows stored", f"{stored:,}"),
        (f"group of {GROUP_SIZE:,}, tracking off", f"{group_off * 1e3:,.0f} ms"),
        (f"group of {GROUP_SIZE:,}, tracking on", f"{group_on * 1e3:,.0f} ms until stored, "
         f"{inserts} INSERT statements"),
    ]  # fmt: skip
    targets = [
        harness.Target(
            f"{db}: tracking on / off, per task (wall)", cost_on / cost_off, 1.5, False, unit="x"
        ),
        harness.Target(
            f"{db}: tracking on / off, per task (CPU)", cpu_on / cpu_off, 1.5, False, unit="x"
        ),
        harness.Target(f"statements for a group of {GROUP_SIZE:,}", inserts, 10, False),
    ]
    return 0 if harness.report(f"send path, {db}", figures, targets) else 1


def timed_group(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def sqlite_path() -> str:
    from benchmarks.settings import VAR

    return str(VAR / f"{os.environ['BENCH_DB_NAME']}.sqlite3")


if __name__ == "__main__":
    sys.exit(main())
