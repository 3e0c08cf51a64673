"""Start ``./sandbox/run`` as the README says, on a free port, and look at what it runs."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RUN = "./sandbox/run"  # as the README says, from the checkout
PASSWORD = "sandbox"
START_TIMEOUT = 240.0  # seconds to the banner, a pip install included
TASK_TIMEOUT = 120.0  # seconds from the banner to stored demo tasks


def free_port() -> int:
    """Return a TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.5) -> Any:
    """Return the first truthy value of ``check()``; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def process_tree(root: int) -> dict[int, str]:
    """Return ``{pid: command line}`` of ``root`` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            tree[pid] = (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")).decode()
        except OSError:
            continue
        todo.extend(children.get(pid, []))
    return tree


def is_running(pid: int) -> bool:
    """Return whether ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class Sandbox:
    """A running ``sandbox/run``: its process, where it listens, where it keeps its files."""

    process: subprocess.Popen
    url: str
    var_dir: Path
    output_path: Path
    database: Callable[[], Any] | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def output(self) -> str:
        """Return what the command printed so far."""
        return self.output_path.read_text(errors="replace")

    def log(self, name: str) -> str:
        """Return the end of one of the sandbox's logs (worker, web, producer, migrate)."""
        path = self.var_dir / "log" / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def diagnostics(self) -> str:
        """Return the output and the logs' ends, for an assertion message."""
        parts = [f"--- output\n{self.output[-3000:]}"]
        parts += [f"--- {name}.log\n{self.log(name)}" for name in ("worker", "web", "producer")]
        return "\n".join(parts)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Return the rows of a read-only query on the sandbox's database."""
        if self.database is not None:
            return self.database(sql, params)
        path = self.var_dir / "sandbox.sqlite3"
        if not path.exists():
            return []
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            return connection.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            return []  # not migrated yet
        finally:
            connection.close()

    def get(
        self, path: str, username: str | None = None, accept: str = "application/json"
    ) -> tuple[int, bytes, str]:
        """Return status, body and final URL of a GET; Basic auth as ``username`` if given."""
        request = urllib.request.Request(self.url + path, headers={"Accept": accept})
        if username:
            token = b64encode(f"{username}:{PASSWORD}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read(), response.url
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.url

    def stop(self, timeout: float = 60.0) -> int | None:
        """Send SIGINT (Ctrl-C) and return the exit status, or None if it did not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None


def start_sandbox(var_dir: Path, extra_env: dict[str, str] | None = None) -> Sandbox:
    """Start ``./sandbox/run`` with its files in ``var_dir`` and wait for its URLs."""
    port = free_port()
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SANDBOX_", "DJANGO_", "CRA_", "PYTEST_"))
    }
    env.update(
        SANDBOX_VAR_DIR=str(var_dir),
        SANDBOX_PORT=str(port),
        SANDBOX_TASK_INTERVAL="0.5",
        **(extra_env or {}),
    )
    output_path = var_dir.parent / f"{var_dir.name}-run.out"
    with output_path.open("wb") as output:
        process = subprocess.Popen(
            [RUN],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            # Its own process group: the teardown can always clean up after it.
            start_new_session=True,
        )
    sandbox = Sandbox(process, f"http://127.0.0.1:{port}", var_dir, output_path, env=env)
    try:
        wait_for(
            lambda: "is running" in sandbox.output or process.poll() is not None,
            START_TIMEOUT,
            "the sandbox's URLs",
        )
    except AssertionError:
        kill_sandbox(sandbox)
        raise
    if process.poll() is not None:
        raise AssertionError(
            f"sandbox/run exited with {process.returncode}\n{sandbox.diagnostics()}"
        )
    return sandbox


def kill_sandbox(sandbox: Sandbox) -> None:
    """Stop the sandbox for good: Ctrl-C, then SIGKILL to whatever is left of its processes."""
    tree = process_tree(sandbox.process.pid)
    if sandbox.stop(timeout=40) is None:
        tree.update(process_tree(sandbox.process.pid))
        for pid in tree:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        sandbox.process.wait(timeout=10)


def wait_for_tenant_rows(sandbox: Sandbox, tenants: int) -> list[tuple]:
    """Wait until finished demo tasks of ``tenants`` tenants are stored; return them."""

    def stored() -> list[tuple]:
        if sandbox.process.poll() is not None:
            raise AssertionError(f"sandbox/run exited\n{sandbox.diagnostics()}")
        rows = sandbox.query(
            "SELECT t.slug, r.task_id, r.task_name, r.status FROM tenants_taskresult r"
            " JOIN tenants_tenant t ON t.id = r.tenant_id WHERE r.status = 'SUCCESS'"
        )
        return rows if len({row[0] for row in rows}) >= tenants else []

    try:
        return wait_for(stored, TASK_TIMEOUT, f"successful demo tasks of {tenants} tenants")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{sandbox.diagnostics()}") from None
