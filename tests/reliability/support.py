"""Helpers of the reliability tests: a throwaway PostgreSQL server, worker processes, figures.

Nothing here touches the shared test servers: a fault test restarts only a
server it started itself, in a temporary directory, on a port of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
FIGURES_FILE = Path(settings.VAR) / "reliability-figures.json"


# Figures


def record_figures(name: str, figures: dict) -> dict:
    """Print ``figures`` and merge them into ``var/reliability-figures.json`` under ``name``."""
    configuration = {
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "settings": os.environ.get("DJANGO_SETTINGS_MODULE", ""),
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    entry = {**figures, "configuration": configuration}
    print(f"\nFIGURES {name}: {json.dumps(figures, sort_keys=True)}")
    try:
        existing = json.loads(FIGURES_FILE.read_text())
    except (OSError, ValueError):
        existing = {}
    existing[name] = entry
    FIGURES_FILE.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")
    return entry


# Processes


def free_port() -> int:
    """Return a TCP port on the loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Call ``predicate`` until it returns a true value (returned); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached in {timeout}s")
        time.sleep(interval)


def stop_process(process: subprocess.Popen, timeout: float = 20.0) -> None:
    """Terminate ``process`` (SIGTERM), then kill it if it does not exit in ``timeout``."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# A throwaway PostgreSQL server


def _pg_bindir() -> Path | None:
    candidates = [os.environ.get("CRA_PG_BINDIR", "")]
    candidates += sorted(
        (str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")),
        key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0,
        reverse=True,
    )
    found = shutil.which("initdb")
    if found:
        candidates.append(str(Path(found).parent))
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


def postgres_available() -> bool:
    """Whether PostgreSQL server binaries (and, as root, the postgres OS user) are here."""
    if _pg_bindir() is None:
        return False
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return False
    return True


@dataclass
class ThrowawayPostgres:
    """A PostgreSQL cluster of its own in a temporary directory, on a port of its own.

    As root, it runs as the ``postgres`` OS user. :meth:`restart` and
    :meth:`terminate_backends` are the faults the tests inject.
    """

    bindir: Path = field(default_factory=lambda: _pg_bindir())
    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cra-reliability-pg-")))
    port: int = field(default_factory=free_port)
    restarts: int = 0

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "postgres.log"

    def _run(self, *command: str, check: bool = True, timeout: float = 60) -> str:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        completed = subprocess.run(
            [*prefix, *command],
            cwd="/",
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and completed.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({completed.returncode}):\n"
                f"{completed.stdout}\n{completed.stderr}\n{self.tail_log()}"
            )
        return completed.stdout

    def tail_log(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def init(self) -> ThrowawayPostgres:
        self.base.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--locale=C", "-N",
        )  # fmt: skip
        return self

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.base}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=100 -c shared_buffers=32MB"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60",
            "stop", check=False,
        )  # fmt: skip

    def restart(self, down_for: float = 1.0) -> None:
        """Stop the server (fast: every connection is cut), stay down ``down_for`` s, start it."""
        self.stop("fast")
        time.sleep(down_for)
        self.start()
        self.restarts += 1

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def connect(self, dbname: str = "postgres"):
        import psycopg

        return psycopg.connect(self.dsn(dbname), autocommit=True, connect_timeout=5)

    def query(self, sql: str, params: tuple = (), dbname: str = "postgres") -> list[tuple]:
        with self.connect(dbname) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: tuple = (), dbname: str = "postgres") -> None:
        with self.connect(dbname) as conn:
            conn.execute(sql, params)

    def terminate_backends(self, dbname: str) -> int:
        """Kill every connection to ``dbname`` (``pg_terminate_backend``); return how many."""
        rows = self.query(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (dbname,),
        )
        return rows[0][0]

    def env(self, dbname: str) -> dict[str, str]:
        """The ``CRA_*`` variables that point ``tests.settings`` at this server."""
        return {
            "CRA_DATABASE": "postgres",
            "CRA_PG_HOST": "127.0.0.1",
            "CRA_PG_PORT": str(self.port),
            "CRA_PG_USER": "postgres",
            "CRA_PG_PASSWORD": "",
            "CRA_DB_NAME": dbname,
        }


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


def reliability_env(**extra: str) -> dict[str, str]:
    """The environment of a process that uses ``tests.reliability.worker_settings``."""
    base = os.environ.get("DJANGO_SETTINGS_MODULE", "tests.settings")
    if base == "tests.reliability.worker_settings":
        base = os.environ.get("CRA_RELIABILITY_BASE_SETTINGS", "tests.settings_swapped")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.reliability.worker_settings",
        "CRA_RELIABILITY_BASE_SETTINGS": base,
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def migrate(env: dict[str, str]) -> None:
    """Run ``migrate`` in a subprocess with ``env`` (its database from the ``CRA_*`` variables)."""
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=180,
    )


# Workers


@dataclass
class Worker:
    """A real prefork Celery worker process of ``tests.reliability.celery_app``."""

    process: subprocess.Popen
    queue: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process, timeout=30)


def start_worker(env: dict[str, str], concurrency: int = 4, prefix: str = "rel") -> Worker:
    """Start a worker on a queue of its own; return once it answers a ping."""
    from tests.reliability.celery_app import app

    queue = f"{prefix}-{uuid.uuid4().hex[:8]}"
    log = Path(settings.VAR) / f"worker-{queue}.log"
    command = [
        sys.executable, "-m", "celery", "-A", "tests.reliability.celery_app", "worker",
        "-P", "prefork", "-c", str(concurrency), "-Q", queue, "-n", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            env={**env, "CRA_CELERY_QUEUE": queue},
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(process, queue, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited early:\n{worker.log_text()[-3000:]}")
        # limit=1: the answer ends the wait, rather than the whole second.
        if app.control.ping(destination=[f"{queue}@{socket.gethostname()}"], timeout=1.0, limit=1):
            return worker
    worker.stop()
    raise RuntimeError(f"worker did not answer a ping:\n{worker.log_text()[-3000:]}")


def wait_until_idle(worker: Worker, timeout: float = 180.0) -> None:
    """Wait until the worker's queue is empty and none of its processes runs a task."""
    import redis

    from tests.reliability.celery_app import app

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    destination = [f"{worker.queue}@{socket.gethostname()}"]
    quiet_since = None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            inspect = app.control.inspect(destination=destination, timeout=1.0)
            busy = broker.llen(worker.queue) or any((inspect.active() or {"-": [1]}).values())
            busy = busy or any((inspect.reserved() or {"-": [1]}).values())
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 2.0:
                return
            time.sleep(0.5)
    finally:
        broker.close()
    raise TimeoutError(f"worker still busy after {timeout}s")


TASK_ID = re.compile(r"\[([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\]")


LOG_RECORD = re.compile(r"^\[\d{4}-\d\d-\d\d [\d:,]+: (\w+)/[^]]*\] (.*)$", re.MULTILINE)


def error_records(log_text: str) -> list[str]:
    """Return the first line of each ERROR or CRITICAL record of a worker log."""
    return [
        message for level, message in LOG_RECORD.findall(log_text) if level in ("ERROR", "CRITICAL")
    ]


def task_ids_in_error_records(log_text: str) -> set[str]:
    """Return the task ids named by the worker's ERROR and CRITICAL records."""
    return {task_id for record in error_records(log_text) for task_id in TASK_ID.findall(record)}


def count_anonymous_error_records(log_text: str) -> int:
    """Count the ERROR and CRITICAL records of a worker log that name no task."""
    return sum(1 for record in error_records(log_text) if not TASK_ID.search(record))
