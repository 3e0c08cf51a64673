"""A virtualenv with the public django-celery-results 2.6.0, built once under ``var/``."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from benchmarks.harness import VAR

UPSTREAM_VERSION = "2.6.0"


def requirements() -> list[str]:
    """The public package with the same Celery, Django and Redis client as ours."""
    return [
        f"django-celery-results=={UPSTREAM_VERSION}",
        f"Django~={'.'.join(version('django').split('.')[:2])}.0",
        f"celery=={version('celery')}",
        "psycopg[binary]>=3.1",
        # The Redis broker of the end-to-end benchmark's worker.
        f"redis=={version('redis')}",
        "packaging",
    ]


def upstream_python() -> Path:
    """Return the interpreter of the upstream virtualenv, creating it if needed."""
    wanted = "\n".join(requirements()) + "\n"
    venv = VAR / f"bench-upstream-{UPSTREAM_VERSION}-py{sys.version_info[0]}{sys.version_info[1]}"
    python = venv / "bin" / "python"
    stamp = venv / ".complete"
    VAR.mkdir(parents=True, exist_ok=True)
    with open(f"{venv}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.read_text() != wanted:
            print(f"building {venv} (once) ...", flush=True)
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                 *requirements()],
                check=True, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            stamp.write_text(wanted)
    return python
