"""Where a stored state's time goes: cProfile of the write path and of ``get_task_meta``.

    python -m benchmarks.write_profile [--db postgres|sqlite] [--tasks 3000] [--top 25]

Stores ``--tasks`` lifecycles (STARTED then SUCCESS, as ``benchmarks.write_path``
does) through the floor's prepared upsert and through the backend, and reads
each back with a raw SELECT and with ``get_task_meta``, under cProfile, pinned
to one CPU with the database server process as the benchmark is; prints the
functions with the most time of their own (``PROFILE_SORT=cumulative`` for
the most time under them). The figures are a profile's, slower than unprofiled code: compare
shares, not absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    os.environ["BENCH_DB"] = args.db
    os.environ.setdefault("BENCH_DB_NAME", "cra_bench_profile")
    from benchmarks.write_path import prepare

    backend, tenant_id, floor = prepare(args.db)
    from benchmarks.workload import lifecycle, requests, task_ids

    for task_id in task_ids(200):
        floor.lifecycle(task_id)
    for request in requests(200, tenant_id):  # warm: statements built and prepared
        lifecycle(backend, request)
        backend.get_task_meta(request.id, cache=False)

    ids = task_ids(args.tasks)
    profile = cProfile.Profile()
    profile.enable()
    for task_id in ids:
        floor.lifecycle(task_id)
    profile.disable()
    _print(f"floor on {args.db}: {2 * args.tasks} stored states", profile, args.top)

    batch = requests(args.tasks, tenant_id)
    profile = cProfile.Profile()
    profile.enable()
    for request in batch:
        lifecycle(backend, request)
    profile.disable()
    _print(f"write path on {args.db}: {2 * args.tasks} stored states", profile, args.top)

    profile = cProfile.Profile()
    profile.enable()
    for request in batch:
        backend.get_task_meta(request.id, cache=False)
    profile.disable()
    _print(f"get_task_meta on {args.db}: {args.tasks} reads", profile, args.top)

    profile = cProfile.Profile()
    profile.enable()
    for request in batch:
        floor.select(request.id)
    profile.disable()
    _print(f"raw SELECT on {args.db}: {args.tasks} reads", profile, args.top)
    return 0


def _print(title: str, profile: cProfile.Profile, top: int) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(top)
    print(f"\n== {title}")
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "function calls" in line)
    print("\n".join(line for line in lines[start:] if line.strip()))


if __name__ == "__main__":
    raise SystemExit(main())
