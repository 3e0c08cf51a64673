"""Shared pieces of the benchmarks: interleaved rounds, medians, and the report.

Absolute times on a shared 2-core machine are noise; ratios measured in the
same run, with the sides interleaved and the median of several rounds
taken, are not.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Where benchmarks keep their databases, logs and figures: the test run's var/.
VAR = Path(os.environ.get("CRA_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))


@dataclass
class Sides:
    """Rates of several sides measured in interleaved rounds."""

    rounds: dict[str, list[float]] = field(default_factory=dict)

    def run(self, measures: dict[str, Callable[[], float]], rounds: int) -> None:
        """Run every measure once per round, in turn, ``rounds`` times."""
        for number in range(rounds):
            for name, measure in measures.items():
                self.rounds.setdefault(name, []).append(measure())
            print(f"  round {number + 1}/{rounds} done", flush=True)

    def median(self, name: str) -> float:
        return statistics.median(self.rounds[name])

    def ratio(self, name: str, reference: str) -> float:
        """Return the median of the per-round ratios of ``name``'s rate to ``reference``'s."""
        pairs = zip(self.rounds[name], self.rounds[reference], strict=True)
        return statistics.median(value / base for value, base in pairs)


def rate(count: int, work: Callable[[], None]) -> float:
    """Return how many units of ``count`` per second ``work`` did."""
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


@dataclass
class Target:
    """A measured figure against the bound it must reach."""

    name: str
    value: float
    bound: float
    higher_is_better: bool = True
    unit: str = ""

    @property
    def met(self) -> bool:
        return self.value >= self.bound if self.higher_is_better else self.value <= self.bound

    def line(self) -> str:
        relation = ">=" if self.higher_is_better else "<="
        verdict = "MET" if self.met else "NOT MET"
        return (
            f"{self.name}: {self.value:.2f}{self.unit} (target {relation} {self.bound:g}) {verdict}"
        )


def report(title: str, figures: list[tuple[str, str]], targets: list[Target]) -> bool:
    """Print the figures and the targets; return whether every target is met."""
    print(f"\n== {title}")
    width = max(len(name) for name, _ in figures)
    for name, value in figures:
        print(f"  {name.ljust(width)}  {value}")
    print("targets:")
    for target in targets:
        print(f"  {target.line()}")
    return all(target.met for target in targets)


def pin_to_one_cpu(*server_pids: int) -> None:
    """Run this process and the database server processes serving it on one CPU.

    On a 2-core machine a synchronous round trip costs 40 to 150 us depending
    on whether the scheduler happens to put client and server on the same
    core; pinned, every side of a comparison pays the same, and the ratios
    compare work, not placement. ``BENCH_CPU`` picks the CPU (the last one).
    """
    cpu = int(os.environ.get("BENCH_CPU", max(os.sched_getaffinity(0))))
    try:
        for pid in (0, *server_pids):
            os.sched_setaffinity(pid, {cpu})
    except OSError as exc:  # another user's server process
        print(f"not pinned to CPU {cpu}: {exc}", flush=True)


def pin_apart(*server_pids: int) -> None:
    """Run this process on the first CPU and the server processes serving it on the last one.

    The placement of a worker and its database on separate cores: each side
    keeps its own caches, and every round trip crosses between the two.
    """
    last = (os.cpu_count() or 1) - 1
    try:
        os.sched_setaffinity(0, {0})
        for pid in server_pids:
            os.sched_setaffinity(pid, {last})
    except OSError as exc:  # another user's server process
        print(f"not pinned apart: {exc}", flush=True)


def server_pids(connection) -> list[int]:
    """Return the server process of Django's ``connection``, if it has one (SQLite has none)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return [cursor.fetchone()[0]]


def pin_with_server(connection, *other_server_pids: int) -> None:
    """``pin_to_one_cpu`` with the server process of Django's ``connection`` (SQLite has none)."""
    pin_to_one_cpu(*other_server_pids, *server_pids(connection))


def pg_dsn(dbname: str) -> str:
    """Return a libpq connection string for ``dbname`` on the server of ``CRA_PG_*``."""
    return (
        f"host={os.environ.get('CRA_PG_HOST', '127.0.0.1')} "
        f"port={os.environ.get('CRA_PG_PORT', '54329')} "
        f"user={os.environ.get('CRA_PG_USER', 'postgres')} dbname={dbname}"
        + (
            f" password={os.environ['CRA_PG_PASSWORD']}"
            if os.environ.get("CRA_PG_PASSWORD")
            else ""
        )
    )


def recreate_pg_database(name: str) -> None:
    """Drop and create database ``name`` on the benchmark server."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(pg_dsn("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def ensure_pg_database(name: str) -> None:
    """Create database ``name`` on the benchmark server unless it exists."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(pg_dsn("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def pg_durability() -> str:
    """Return how durable the benchmark server's commits are (they change the floor)."""
    import psycopg

    with psycopg.connect(pg_dsn("postgres"), autocommit=True) as conn:
        fsync = conn.execute("SHOW fsync").fetchone()[0]
        synchronous = conn.execute("SHOW synchronous_commit").fetchone()[0]
    return f"PostgreSQL, fsync={fsync}, synchronous_commit={synchronous}"
