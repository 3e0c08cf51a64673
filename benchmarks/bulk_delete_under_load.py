"""A bulk delete of 100,000 rows through the API while workers keep storing results.

    python -m benchmarks.bulk_delete_under_load [--rows 100000] [--writers 2] [--rounds 3]

On a PostgreSQL database of its own (the test app's custom model, migrated
with results_api), ``--rows`` old results are created; ``--writers``
processes store task lifecycles through the backend without pause (as in
``benchmarks/cleanup_under_load.py``); after a quiet period one process
previews and confirms ``tasks/bulk/delete/`` over a filter that selects
exactly those rows (``benchmarks/bulk_driver.py``), and the writers go on
for another quiet period.

Figures: the bulk delete's time (preview and confirmation); the writers'
lifecycles per second during it against before and after it, per round;
the longest write during it; the longest statement of the bulk delete and
the most rows one DELETE removed (a batch's row locks last as long as it).

Targets: the writers keep >= 0.8 of their throughput during the bulk
delete (the median of the rounds' ratios), and no DELETE removes more than
one batch (``BULK_BATCH_SIZE``, 500).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks import harness
from benchmarks.cleanup_under_load import DRIVER, under_load

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "cra_bench_bulk"
BATCH_SIZE = 500
FILTERS = {"task_id__startswith": "expired-"}


def environment(settings: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(BENCH_DB="postgres", BENCH_DB_NAME=DATABASE, PYTHONPATH=str(ROOT))
    if settings:
        env["DJANGO_SETTINGS_MODULE"] = settings
    return env


def run_json(command: list[str], env: dict[str, str]) -> dict:
    completed = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if completed.returncode:
        raise RuntimeError(f"{command} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def one_round(rows: int, writers: int) -> dict:
    harness.recreate_pg_database(DATABASE)
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--no-input", "-v", "0"],
        env=environment("benchmarks.settings"),
        cwd=ROOT,
        check=True,
    )
    seeded = run_json([sys.executable, str(DRIVER), "ours", "seed", str(rows)], environment())
    print(f"    {rows:,} rows in {seeded['seconds']:.1f}s", flush=True)
    figures = under_load(
        [sys.executable, str(DRIVER), "ours", "write"],
        environment(),
        writers,
        lambda: run_json(
            [sys.executable, "-m", "benchmarks.bulk_driver", json.dumps(FILTERS)], environment()
        ),
    )
    assert figures["acted"] == rows, figures
    print(
        f"    bulk delete {figures['seconds']:.1f}s (preview {figures['preview_seconds']:.1f}s),"
        f" writes {figures['writes_per_s_during']:.0f}/s during"
        f" vs {figures['writes_per_s_without']:.0f}/s without"
        f" ({figures['throughput_kept']:.2f}), longest statement"
        f" {figures['longest_statement_seconds'] * 1000:.0f} ms, most rows per DELETE"
        f" {figures['most_rows_per_delete']:,}",
        flush=True,
    )
    return figures


def _per_batch(figures: dict) -> float:
    """The confirmation's statements per batch: its keyset read, DELETE and progress UPDATE."""
    return figures["confirm_statements"] / -(-figures["acted"] // BATCH_SIZE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds = []
    for number in range(args.rounds):
        print(f"  round {number + 1}/{args.rounds}", flush=True)
        rounds.append(one_round(args.rows, args.writers))

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    lines = [
        ("rows deleted, writer processes", f"{args.rows:,}, {args.writers}"),
        ("database durability", harness.pg_durability()),
        ("bulk delete time (preview + confirmation)", f"{median('seconds'):.1f} s"),
        ("of which the preview", f"{median('preview_seconds'):.1f} s"),
        (
            "writes during / without the bulk delete",
            f"{median('writes_per_s_during'):.0f} / {median('writes_per_s_without'):.0f}"
            f" lifecycles/s; per-round ratios "
            + ", ".join(f"{r['throughput_kept']:.2f}" for r in rounds),
        ),
        ("longest write during it", f"{median('longest_write_during_seconds') * 1000:.0f} ms"),
        (
            "longest statement of the bulk delete",
            f"{median('longest_statement_seconds') * 1000:.0f} ms,"
            f" most rows per DELETE {median('most_rows_per_delete'):,.0f}",
        ),
        (
            "statements per batch of the confirmation",
            f"{statistics.median(_per_batch(r) for r in rounds):.2f}"
            f" ({median('confirm_statements'):,.0f} over {args.rows // BATCH_SIZE:,} batches)",
        ),
    ]
    targets = [
        harness.Target(
            "writers' throughput during the bulk delete / without (median of rounds)",
            median("throughput_kept"),
            0.8,
        ),
        harness.Target(
            "most rows one DELETE removed (locks of one batch)",
            median("most_rows_per_delete"),
            BATCH_SIZE,
            higher_is_better=False,
        ),
    ]
    return 0 if harness.report("bulk delete under load, PostgreSQL", lines, targets) else 1


if __name__ == "__main__":
    sys.exit(main())
