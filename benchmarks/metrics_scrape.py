"""Metrics scrape at scale: the same scrape at 100,000 and 10,000,000 stored tasks.

    python -m benchmarks.metrics_scrape [--rounds 7] [--scrapes 10]

Both PostgreSQL databases hold the test app's custom model with 1,000
tenants and 10 task names (the read-path benchmark's generator,
benchmarks/read_path.py): ``cra_bench_read_10000000`` is the read-path
benchmark's own (loaded there), ``cra_bench_metrics_100000`` is loaded here
with 100,000 rows over the same 1,000 tenants, so that both scrapes hold
the same series and only the table's size differs. The tenant labels the
counters (``METRICS_LABELS = ["tenant"]``): up to 10,000 label
combinations, each in three final states. The metrics' totals are
counted first (the first run counts the whole table: its time is
printed). Each round scrapes each database in turn, in a process of its
own (the sides interleaved), through the endpoint with the metrics token,
and times the database calls of each scrape (``connection.execute_wrapper``)
and the whole answer.

Targets: the database time of a scrape under 50 ms at 10M rows, and the
10M figure within 1.2x the 100k one (median of the per-round ratios).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import VAR, Target, report

ROOT = Path(__file__).resolve().parent.parent
TENANTS = 1000
SIZES = {100_000: "cra_bench_metrics_100000", 10_000_000: "cra_bench_read_10000000"}
TOKEN = "benchmark-scraper-token-0123456789"
METRICS = {
    "THROTTLE_CLASSES": [],
    "METRICS_TOKEN": TOKEN,
    "METRICS_LABELS": ["tenant"],
    "METRICS_MAX_SERIES": 20_000,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--scrapes", type=int, default=10, help="scrapes per side and round")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.scrapes, args.prepare)
    for size in SIZES:
        _prepare_child(size)
    rounds: dict[int, list[dict]] = {size: [] for size in SIZES}
    for number in range(args.rounds):
        for size in SIZES:
            rounds[size].append(_run_child(size, ["--scrapes", str(args.scrapes)]))
        print(f"  round {number + 1}/{args.rounds} done", flush=True)
    return 0 if summarise(rounds) else 1


def _prepare_child(size: int) -> None:
    """Migrate (and load the small database), and count the metrics' totals."""
    subprocess.run(_child_command(size, ["--prepare"]), env=_child_env(size), cwd=ROOT, check=True)


def _run_child(size: int, extra: list[str]) -> dict:
    """Return the figures of one round of scrapes of the database of ``size`` rows."""
    output = VAR / f"bench-metrics-{size}.json"
    output.unlink(missing_ok=True)
    subprocess.run(_child_command(size, extra), env=_child_env(size), cwd=ROOT, check=True)
    return json.loads(output.read_text())


def _child_command(size: int, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "benchmarks.metrics_scrape", "--child", str(size), *extra]


def _child_env(size: int) -> dict[str, str]:
    return {**os.environ, "BENCH_DB": "postgres", "BENCH_DB_NAME": SIZES[size]}


def summarise(rounds: dict[int, list[dict]]) -> bool:
    small, large = min(SIZES), max(SIZES)
    ratios = [
        big["db_ms"] / little["db_ms"]
        for little, big in zip(rounds[small], rounds[large], strict=True)
    ]
    figures = []
    for size in SIZES:
        last = rounds[size][-1]
        figures += [
            (f"{size:,} rows: scrape database time", _median_ms(rounds[size], "db_ms")),
            (f"{size:,} rows: whole scrape", _median_ms(rounds[size], "total_ms")),
            (f"{size:,} rows: series, samples, bytes",
             f"{last['series']:,} counter series, {last['samples']:,} samples, "
             f"{last['bytes']:,} bytes"),
        ]  # fmt: skip
    figures.append(("database", rounds[large][-1]["durability"]))
    large_db = statistics.median(round_["db_ms"] for round_ in rounds[large])
    targets = [
        Target(f"scrape database time at {large:,} rows", large_db, 50, False, " ms"),
        Target(
            f"scrape database time {large:,} / {small:,} rows (median of per-round ratios)",
            statistics.median(ratios),
            1.2,
            False,
            "x",
        ),
    ]
    return report("metrics scrape", figures, targets)


def _median_ms(rounds: list[dict], name: str) -> str:
    return f"{statistics.median(round_[name] for round_ in rounds):.2f} ms"


def child(size: int, scrapes: int, prepare: bool) -> int:
    from benchmarks import harness

    harness.ensure_pg_database(os.environ["BENCH_DB_NAME"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client, override_settings

    from benchmarks.timing import DatabaseTimer
    from django_celery_results.models import get_task_result_model
    from results_api.metrics.totals import count_totals

    with override_settings(RESULTS_API=METRICS, ROOT_URLCONF="benchmarks.urls"):
        if prepare:
            _prepare(size)
            started = time.perf_counter()
            count_totals(get_task_result_model())
            print(f"{size:,} rows: totals counted in {time.perf_counter() - started:.1f} s")
            return 0
        client = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        client.get("/metrics")  # warm: the connection, the label set, the caches
        db, total = [], []
        for _ in range(scrapes):
            timer = DatabaseTimer()
            started = time.perf_counter()
            with connection.execute_wrapper(timer):
                response = client.get("/metrics")
            total.append(time.perf_counter() - started)
            db.append(timer.seconds)
            assert response.status_code == 200, response.content[:500]
        body = response.content.decode()
        with connection.cursor() as cursor:
            cursor.execute("SHOW fsync")
            fsync = cursor.fetchone()[0]
            cursor.execute("SHOW synchronous_commit")
            synchronous = cursor.fetchone()[0]
    figures = {
        "db_ms": statistics.median(db) * 1000,
        "total_ms": statistics.median(total) * 1000,
        "series": body.count("\ncelery_results_tasks_total{"),
        "samples": sum(1 for line in body.splitlines() if line and not line.startswith("#")),
        "bytes": len(body),
        "durability": f"PostgreSQL, fsync={fsync}, synchronous_commit={synchronous}",
    }
    (VAR / f"bench-metrics-{size}.json").write_text(json.dumps(figures))
    return 0


def _prepare(size: int) -> None:
    """Migrate the database and, for the small one, load its rows over 1,000 tenants."""
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.read_path import generate

    call_command("migrate", verbosity=0)
    if size != min(SIZES):
        return  # the read-path benchmark loads the large one
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*), COUNT(DISTINCT tenant_id) FROM testapp_taskresult")
        if cursor.fetchone() != (size, TENANTS):
            print(f"loading {size:,} rows for {TENANTS} tenants ...", flush=True)
            generate(cursor, size, TENANTS)
            cursor.execute("VACUUM ANALYZE testapp_taskresult")


if __name__ == "__main__":
    sys.exit(main())
