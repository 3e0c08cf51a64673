"""End to end: a real prefork worker (2 processes) on Redis, four result stores, one run.

    python -m benchmarks.end_to_end [--tasks 1000] [--rounds 9] [--chords 1000,10000]

Configurations, interleaved round by round (the order rotated each round):

* ``defaults``: ours on PostgreSQL with Django's connection defaults;
* ``recommended``: ours as the README sets it up (``CONN_MAX_AGE``,
  ``CONN_HEALTH_CHECKS``, ``result_backend_always_retry``);
* ``upstream``: django-celery-results 2.6.0 in its own virtualenv (built
  under ``var/`` as for the write-path benchmark), on its own database;
* ``redis``: Celery's Redis result backend.

Each configuration has its worker (``result_extended`` and ``track_started``
on), started once; a round sends N no-op tasks to each worker in turn and
waits for their results. Figures: tasks per second from the first send to
the last stored result (its ``date_done``), the median over rounds; new
database sessions per task over the whole run, as PostgreSQL counts them
(``pg_stat_database.sessions`` before the workers start and after they
have stopped, every result of the run included); the median time of
``AsyncResult(id).state`` on a stored result, in the configuration's own
virtualenv. Then chords of each ``--chords`` size (no-op header tasks, a
body that counts them): the time per header task from sending the chord to
its body's stored result.

Targets: ours as recommended >= the Redis backend's throughput; at most 0.01
new sessions per task as recommended; the chord cost per header task at the
largest size <= 1.5x that at the smallest (constant, not growing with n).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import harness, upstream

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VAR = upstream.VAR
CONFIGS = ("defaults", "recommended", "upstream", "redis")
DB_CONFIGS = ("defaults", "recommended", "upstream")
CHORD_CONFIGS = ("recommended", "upstream", "redis")
RESULT_TABLE = "django_celery_results_taskresult"
TABLES = f"{RESULT_TABLE}, django_celery_results_chordcounter, django_celery_results_groupresult"
LATENCY_SAMPLE = 300


def redis_url() -> str:
    """The Redis server of the tests, on a database number of its own: other users' broadcasts
    (a ``revoke`` sent to every worker) would reach the benchmark's workers otherwise."""
    base = os.environ.get("CRA_REDIS_URL", "redis://127.0.0.1:63799/0")
    return base.rsplit("/", 1)[0] + "/" + os.environ.get("BENCH_REDIS_DB", "7")


def python_of(config: str) -> str:
    return str(upstream.upstream_python()) if config == "upstream" else sys.executable


def dbname_of(config: str) -> str:
    return f"cra_bench_e2e_{config}"


def env_of(config: str, queue: str = "bench-e2e") -> dict[str, str]:
    """The environment of a worker or client process of ``config``: nothing of ours on its path."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")
    }
    return {
        **environment,
        "PYTHONPATH": str(HERE),
        "DJANGO_SETTINGS_MODULE": "worker_settings",
        "BENCH_E2E_CONFIG": config,
        "BENCH_DB_NAME": dbname_of(config),
        "BENCH_REDIS_URL": redis_url(),
        "BENCH_QUEUE": queue,
    }


@dataclass
class Store:
    """Where a configuration's results are read: a PostgreSQL table or Redis keys."""

    config: str
    db: object = None
    redis: object = None

    def open(self) -> Store:
        if self.config == "redis":
            import redis

            self.redis = redis.Redis.from_url(redis_url())
        else:
            import psycopg

            self.db = psycopg.connect(harness.pg_dsn(dbname_of(self.config)), autocommit=True)
            self.db.execute("SELECT 1")
        return self

    def empty(self) -> None:
        if self.db is not None:
            self.db.execute(f"TRUNCATE {TABLES}")

    def sessions(self) -> int:
        """Sessions PostgreSQL has counted on this configuration's database (0 for Redis)."""
        if self.db is None:
            return 0
        self.db.execute("SELECT pg_stat_clear_snapshot()")
        return self.db.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", [dbname_of(self.config)]
        ).fetchone()[0]

    def backends(self) -> int:
        if self.db is None:
            return 0
        return self.db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [dbname_of(self.config)],
        ).fetchone()[0]

    def wait_all_done(self, task_ids: list[str], timeout: float) -> float:
        """Wait until every task of ``task_ids`` is stored as SUCCESS; return the last date_done."""
        deadline = time.monotonic() + timeout
        if self.db is not None:
            while time.monotonic() < deadline:
                count, last = self.db.execute(
                    f"SELECT count(*), max(date_done) FROM {RESULT_TABLE}"
                    " WHERE status = 'SUCCESS' AND task_id = ANY(%s)",
                    [task_ids],
                ).fetchone()
                if count == len(task_ids):
                    return last.timestamp()
                time.sleep(0.2)
            raise TimeoutError(f"{self.config}: {count}/{len(task_ids)} results in {timeout}s")
        remaining, last = set(task_ids), 0.0
        while time.monotonic() < deadline:
            ordered = list(remaining)
            for start in range(0, len(ordered), 1000):
                chunk = ordered[start : start + 1000]
                values = self.redis.mget([f"celery-task-meta-{t}" for t in chunk])
                for task_id, value in zip(chunk, values, strict=True):
                    if value is None:
                        continue
                    meta = json.loads(value)
                    if meta["status"] == "SUCCESS":
                        remaining.discard(task_id)
                        done = datetime.datetime.fromisoformat(meta["date_done"])
                        if done.tzinfo is None:
                            done = done.replace(tzinfo=datetime.timezone.utc)
                        last = max(last, done.timestamp())
            if not remaining:
                return last
            time.sleep(0.2)
        raise TimeoutError(f"redis: {len(remaining)} results missing after {timeout}s")


@dataclass
class Worker:
    process: subprocess.Popen
    queue: str
    log: Path


def start_worker(config: str, control) -> Worker:
    queue = f"bench-e2e-{config}-{uuid.uuid4().hex[:8]}"
    log = VAR / f"bench-e2e-worker-{config}.log"
    command = [
        python_of(config), "-m", "celery", "-A", "worker_app", "worker",
        "-P", "prefork", "-c", "2", "-Q", queue, "-n", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env_of(config, queue), cwd=HERE, stdout=output, stderr=subprocess.STDOUT
        )
    destination = [f"{queue}@{socket.gethostname()}"]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{config} worker exited:\n{log.read_text()[-3000:]}")
        if control.control.ping(destination=destination, timeout=1.0):
            return Worker(process, queue, log)
    process.kill()
    raise RuntimeError(f"{config} worker did not answer:\n{log.read_text()[-3000:]}")


def stop_worker(worker: Worker, store: Store) -> None:
    worker.process.terminate()
    try:
        worker.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait()
    deadline = time.monotonic() + 30
    while store.backends() and time.monotonic() < deadline:
        time.sleep(0.2)
    # A session's statistics reach pg_stat_database when it ends or reports them.
    time.sleep(1.2)


def client(config: str, *args: str, stdin: str = "", queue: str = "bench-e2e") -> dict:
    """Run ``worker_app.py`` with ``args`` in the configuration's virtualenv; return its JSON."""
    completed = subprocess.run(
        [python_of(config), "worker_app.py", *args],
        env=env_of(config, queue),
        cwd=HERE,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if completed.returncode:
        raise RuntimeError(f"{config} client {args} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


@dataclass
class Figures:
    rate: dict[str, list[float]] = field(default_factory=dict)
    sessions: dict[str, list[float]] = field(default_factory=dict)
    latency: dict[str, list[float]] = field(default_factory=dict)
    chord: dict[tuple[str, int], list[float]] = field(default_factory=dict)


def throughput_round(
    config: str, store: Store, worker: Worker, control, tasks: int, figures: Figures
) -> None:
    task_ids = [str(uuid.uuid4()) for _ in range(tasks)]
    started = time.time()
    with control.producer_or_acquire() as producer:
        for number, task_id in enumerate(task_ids):
            control.send_task(
                "bench.noop", args=(number,), task_id=task_id, queue=worker.queue,
                producer=producer,
            )  # fmt: skip
    last = store.wait_all_done(task_ids, timeout=600)
    latency = client(config, "latency", stdin="\n".join(task_ids[:LATENCY_SAMPLE]))
    rate = tasks / (last - started)
    figures.rate.setdefault(config, []).append(rate)
    figures.latency.setdefault(config, []).append(latency["median_us"])
    print(f"    {config:12} {rate:7.1f} tasks/s  state {latency['median_us']:7.0f} us", flush=True)


def chord_round(
    config: str, store: Store, worker: Worker, control, size: int, figures: Figures
) -> None:
    sent = client(config, "chord", str(size), queue=worker.queue)
    last = store.wait_all_done([sent["body_id"]], timeout=1800)
    per_header_ms = (last - sent["started"]) / size * 1000
    figures.chord.setdefault((config, size), []).append(per_header_ms)
    print(f"    chord {size:6} {config:12} {per_header_ms:7.3f} ms per header task", flush=True)


def prepare() -> dict[str, Store]:
    for config in DB_CONFIGS:
        harness.ensure_pg_database(dbname_of(config))
        subprocess.run(
            [python_of(config), "-m", "django", "migrate", "--noinput", "-v", "0"],
            env=env_of(config),
            cwd=HERE,
            check=True,
            timeout=300,
        )
    return {config: Store(config).open() for config in CONFIGS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1000, help="no-op tasks per round")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--chords", default="1000,10000", help="header sizes ('' for none)")
    parser.add_argument("--chord-rounds", type=int, default=1)
    args = parser.parse_args()
    from celery import Celery

    control = Celery("bench-e2e-control", broker=redis_url(), set_as_current=False)
    stores = prepare()
    figures = Figures()
    for store in stores.values():
        store.empty()
    before = {config: stores[config].sessions() for config in CONFIGS}
    workers: dict[str, Worker] = {}
    sizes = [int(size) for size in args.chords.split(",") if size]
    try:
        for config in CONFIGS:
            workers[config] = start_worker(config, control)
        for number in range(args.rounds):
            print(f"  throughput round {number + 1}/{args.rounds}", flush=True)
            order = CONFIGS[number % len(CONFIGS) :] + CONFIGS[: number % len(CONFIGS)]
            for config in order:
                throughput_round(
                    config, stores[config], workers[config], control, args.tasks, figures
                )
        for number in range(args.chord_rounds):
            for size in sizes:
                print(f"  chords of {size}, round {number + 1}/{args.chord_rounds}", flush=True)
                order = CHORD_CONFIGS[number % 3 :] + CHORD_CONFIGS[: number % 3]
                for config in order:
                    chord_round(config, stores[config], workers[config], control, size, figures)
    finally:
        for config, worker in workers.items():
            stop_worker(worker, stores[config])
    header_tasks = sum(sizes) * args.chord_rounds
    for config in CONFIGS:
        stored = args.tasks * args.rounds + (header_tasks + 1 if config in CHORD_CONFIGS else 0)
        figures.sessions[config] = [(stores[config].sessions() - before[config]) / stored]
    return 0 if report(figures, args, sizes) else 1


def report(figures: Figures, args: argparse.Namespace, sizes: list[int]) -> bool:
    median = statistics.median
    redis_rate = median(figures.rate["redis"])
    redis_latency = median(figures.latency["redis"])
    lines = [("tasks per round, rounds", f"{args.tasks}, {args.rounds} (medians of rounds)")]
    for config in CONFIGS:
        rate, latency = median(figures.rate[config]), median(figures.latency[config])
        lines.append(
            (
                config,
                f"{rate:7.1f} tasks/s ({rate / redis_rate:.2f}x redis)"
                f"  {median(figures.sessions[config]):.3f} sessions/task"
                f"  AsyncResult.state {latency:6.0f} us ({latency / redis_latency:.2f}x redis)",
            )
        )
    for size in sizes:
        for config in CHORD_CONFIGS:
            cost = median(figures.chord[(config, size)])
            lines.append((f"chord of {size}, {config}", f"{cost:.3f} ms per header task"))
    targets = [
        harness.Target(
            "ours as recommended / Redis backend, tasks/s",
            median(figures.rate["recommended"]) / redis_rate,
            1.0,
        ),
        harness.Target(
            "ours as recommended, new sessions per task",
            median(figures.sessions["recommended"]),
            0.01,
            higher_is_better=False,
        ),
    ]
    if len(sizes) > 1:
        smallest, largest = min(sizes), max(sizes)
        cost = {size: median(figures.chord[("recommended", size)]) for size in sizes}
        targets.append(
            harness.Target(
                f"ours, chord cost per header task at {largest} / at {smallest}",
                cost[largest] / cost[smallest],
                1.5,
                higher_is_better=False,
            )
        )
        for size in sizes:
            lines.append(
                (
                    f"chord of {size}, ours / 2.6.0",
                    f"{cost[size] / median(figures.chord[('upstream', size)]):.2f}",
                )
            )
    return harness.report("end to end, prefork worker (2 processes), Redis broker", lines, targets)


if __name__ == "__main__":
    sys.exit(main())
