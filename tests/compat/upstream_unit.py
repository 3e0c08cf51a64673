"""Run django-celery-results' own unit tests (its ``t/unit``) against our package.

    python -m tests.compat.upstream_unit PATH   # PATH: a checkout of django-celery-results

The tests and their settings (``t/`` and ``setup.cfg``) are copied to a
temporary directory without upstream's package, so that they import ours,
and run with this interpreter on SQLite, as upstream runs them without
PostgreSQL. It prints pytest's summary, then each failure that is not one of
the deliberate differences listed in the README ("Coming from
django-celery-results"), and exits non-zero if there is one. A checkout is
needed: the test files are not on PyPI for upstream's main branch, and this
repository does not copy them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Failures that are deliberate, each explained in the README: (module, tests, why).
_DELIBERATE = [
    ("backends/test_database.py::test_DatabaseBackend", ["test_on_chord_part_return_failure"],
     "a chord's counter is settled from the stored header results"),
    ("test_admin.py::TaskResultAdminTests", ["test_add_view"], "the admin is view-only"),
    ("test_admin.py::TaskResultProxyAdminTests", ["test_add_view"], "the admin is view-only"),
    ("test_views.py::test_Views",
     ["test_group_status", "test_is_group_successful", "test_is_task_successful",
      "test_task_status"],
     "status views need a permission"),
    # These compare a "secondary" database with "default", which upstream's settings make
    # one PostgreSQL database (a test mirror); on SQLite they are two files, for 2.6 too.
    ("backends/test_database.py::ChordPartReturnTestCase",
     ["test_on_chord_part_return_multiple_databases"], "needs upstream's PostgreSQL mirror"),
    ("test_models.py::test_Models",
     ["test_retry_store_result_fails", "test_retry_store_result_succeeds",
      "test_store_group_result", "test_store_result"],
     "needs upstream's PostgreSQL mirror"),
]  # fmt: skip
DELIBERATE = {
    f"t/unit/{module}::{test}": why for module, tests, why in _DELIBERATE for test in tests
}


def run(checkout: Path) -> int:
    """Run upstream's unit tests from ``checkout``; return 1 if an unexplained one failed."""
    with tempfile.TemporaryDirectory() as work:
        shutil.copytree(checkout / "t", Path(work) / "t")
        shutil.copy(checkout / "setup.cfg", work)
        completed = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rf", "t/unit"],
            cwd=work,
            capture_output=True,
            text=True,
        )
    lines = completed.stdout.splitlines()
    failed = {line.split()[1] for line in lines if line.startswith("FAILED ")}
    print(lines[-1] if lines else completed.stderr)
    unexplained = sorted(failed - set(DELIBERATE))
    for test in unexplained:
        print(f"unexplained failure: {test}")
    return 1 if unexplained or completed.returncode not in (0, 1) else 0


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1])))
