"""Fixtures of the sandbox tests, and the rule that runs them once per ``scripts/test``.

These tests start ``./sandbox/run`` with its own database and never use the
test database, so they run in one of the pytest runs: SQLite with the
default settings (the PostgreSQL + Redis variant, marked ``postgres``, in the
PostgreSQL run with the default settings); never in the MariaDB runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from .harness import Sandbox, kill_sandbox, start_sandbox

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the sandbox tests to one run: SQLite (or PostgreSQL), default settings."""
    engine = settings.DATABASES["default"]["ENGINE"]
    on_postgres = engine.endswith("postgresql")
    on_sqlite = engine.endswith("sqlite3")
    swapped = getattr(settings, "CELERY_RESULTS_TASKRESULT_MODEL", None) not in (
        None,
        "django_celery_results.TaskResult",
    )
    keep, drop = [], []
    for item in items:
        ours = HERE in Path(str(item.path)).parents
        marked = item.get_closest_marker("postgres")
        unfit = ours and (swapped or not (on_postgres if marked else on_sqlite))
        (drop if unfit else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """Start the sandbox with the embedded defaults (SQLite, filesystem broker); stop it after."""
    running = start_sandbox(tmp_path_factory.mktemp("sandbox") / "var")
    try:
        yield running
    finally:
        kill_sandbox(running)
