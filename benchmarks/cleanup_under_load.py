"""Cleanup under load: expiring 1,000,000 rows while workers keep storing results.

    python -m benchmarks.cleanup_under_load [--rows 1000000] [--writers 2] [--rounds 1]

For each side, ours (the test app's custom model, with a foreign key to a
tenant) and django-celery-results 2.6.0 (its own model, in its virtualenv),
on a PostgreSQL database of its own: ``--rows`` results two days old are
created, ``--writers`` processes store task lifecycles (STARTED, SUCCESS)
through the side's backend without pause, and after a quiet period the
side's ``backend.cleanup()`` (what ``celery beat`` runs daily) deletes the
expired rows in a process of its own. The sides alternate, round by round.

Figures: the cleanup's time; the peak memory (max RSS) of its process; the
writers' lifecycles per second during the cleanup against before and after
it; the longest single write during the cleanup; the longest cleanup
statement and the most rows one DELETE removed (in autocommit, a
statement's row locks last as long as it does).

Targets: ours keeps >= 0.8 of the writers' throughput during the cleanup,
and no DELETE of ours removes more than one batch
(``CELERY_RESULTS_CLEANUP_BATCH_SIZE``, 5000).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import harness, upstream

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "cleanup_driver.py"
SIDES = ("ours", "upstream")
QUIET = 8.0  # seconds of writes before and after the cleanup
WARM_UP = 2.0  # seconds of writes not counted, while the writers connect
BATCH_SIZE = 5000


def python_of(side: str) -> str:
    return str(upstream.upstream_python()) if side == "upstream" else sys.executable


def env_of(side: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return {**environment, "PYTHONPATH": "", "BENCH_DB_NAME": f"cra_bench_cleanup_{side}"}


def driver(side: str, *args: str) -> dict:
    completed = subprocess.run(
        [python_of(side), str(DRIVER), side, *args],
        env=env_of(side),
        cwd=HERE,
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if completed.returncode:
        raise RuntimeError(f"{side} {args} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def rate_between(writes: list[list[float]], start: float, end: float) -> float:
    done = sum(1 for ended, _ in writes if start <= ended < end)
    return done / (end - start) if end > start else 0.0


def under_load(writer: list[str], env: dict[str, str], writers: int, act) -> dict:
    """Run ``act()`` while ``writers`` processes run ``writer`` (with a stop file's path last).

    Return what ``act`` returned, with the writers' lifecycles per second
    during it against the quiet periods before and after it, and the longest
    single write during it.
    """
    stop = Path(tempfile.mkdtemp(prefix="cra-load-")) / "stop"
    processes = [
        subprocess.Popen([*writer, str(stop)], env=env, cwd=HERE, stdout=subprocess.PIPE, text=True)
        for _ in range(writers)
    ]
    try:
        time.sleep(WARM_UP)
        quiet_from = time.time()
        time.sleep(QUIET)
        act_from = time.time()
        acted = act()
        act_to = time.time()
        time.sleep(QUIET)
        quiet_to = time.time()
    finally:
        stop.touch()
        outputs = [
            json.loads(p.communicate(timeout=120)[0].strip().splitlines()[-1]) for p in processes
        ]
    writes = [w for output in outputs for w in output["writes"]]
    without = (
        rate_between(writes, quiet_from, act_from) + rate_between(writes, act_to, quiet_to)
    ) / 2
    during = rate_between(writes, act_from, act_to)
    return {
        **acted,
        "writes_per_s_without": without,
        "writes_per_s_during": during,
        "throughput_kept": during / without,
        "longest_write_during_seconds": max(
            (seconds for ended, seconds in writes if act_from <= ended < act_to), default=0.0
        ),
    }


def one_round(side: str, rows: int, writers: int) -> dict:
    harness.recreate_pg_database(f"cra_bench_cleanup_{side}")
    driver(side, "migrate")
    seeded = driver(side, "seed", str(rows))
    print(f"    {side}: {rows:,} expired rows in {seeded['seconds']:.1f}s", flush=True)
    writer = [python_of(side), str(DRIVER), side, "write"]
    figures = under_load(writer, env_of(side), writers, lambda: driver(side, "clean"))
    print(
        f"    {side}: cleanup {figures['seconds']:.1f}s, peak RSS {figures['peak_rss_mb']:.0f} MB,"
        f" writes {figures['writes_per_s_during']:.0f}/s during"
        f" vs {figures['writes_per_s_without']:.0f}/s without"
        f" ({figures['throughput_kept']:.2f}), longest DELETE"
        f" {figures['longest_statement_seconds']:.2f}s of {figures['most_rows_per_delete']:,} rows",
        flush=True,
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    results: dict[str, list[dict]] = {side: [] for side in SIDES}
    for number in range(args.rounds):
        print(f"  round {number + 1}/{args.rounds}", flush=True)
        for side in SIDES if number % 2 == 0 else SIDES[::-1]:
            results[side].append(one_round(side, args.rows, args.writers))

    def median(side: str, key: str) -> float:
        return statistics.median(r[key] for r in results[side])

    lines = [("rows expired, writer processes", f"{args.rows:,}, {args.writers}")]
    for side in SIDES:
        lines += [
            (f"{side}: cleanup time", f"{median(side, 'seconds'):.1f} s"),
            (
                f"{side}: peak memory of the cleaning process",
                f"{median(side, 'peak_rss_mb'):.0f} MB",
            ),
            (
                f"{side}: writes during / without cleanup",
                f"{median(side, 'writes_per_s_during'):.0f} / "
                f"{median(side, 'writes_per_s_without'):.0f} lifecycles/s"
                f" = {median(side, 'throughput_kept'):.2f}",
            ),
            (
                f"{side}: longest write during cleanup",
                f"{median(side, 'longest_write_during_seconds') * 1000:.0f} ms",
            ),
            (
                f"{side}: longest cleanup statement",
                f"{median(side, 'longest_statement_seconds'):.2f} s,"
                f" most rows per DELETE {median(side, 'most_rows_per_delete'):,.0f}",
            ),
        ]
    ours_over_upstream = {
        key: median("ours", key) / median("upstream", key) for key in ("seconds", "peak_rss_mb")
    }
    lines += [
        ("cleanup time, ours / 2.6.0", f"{ours_over_upstream['seconds']:.2f}"),
        ("peak memory, ours / 2.6.0", f"{ours_over_upstream['peak_rss_mb']:.2f}"),
    ]
    targets = [
        harness.Target(
            "ours: writers' throughput during cleanup / without",
            median("ours", "throughput_kept"),
            0.8,
        ),
        harness.Target(
            "ours: most rows one DELETE removed (locks of one batch)",
            median("ours", "most_rows_per_delete"),
            BATCH_SIZE,
            higher_is_better=False,
        ),
    ]
    return 0 if harness.report("cleanup under load, PostgreSQL", lines, targets) else 1


if __name__ == "__main__":
    sys.exit(main())
