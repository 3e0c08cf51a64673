"""Fixtures of the sandbox tests, and the rule that runs them once per ``scripts/test``.

These tests start ``./sandbox/run`` with its own database and never use the
test database, so they run in one of the four pytest runs: SQLite with the
default settings (the PostgreSQL + Redis variant, marked ``postgres``, in the
PostgreSQL run with the default settings).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from .harness import Sandbox, kill_sandbox, start_sandbox

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the sandbox tests to one run of the four: SQLite (or PostgreSQL), default settings."""
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    swapped = getattr(settings, "CELERY_RESULTS_TASKRESULT_MODEL", None) not in (
        None,
        "django_celery_results.TaskResult",
    )
    keep, drop = [], []
    for item in items:
        ours = HERE in Path(str(item.path)).parents
        unfit = ours and (swapped or (on_postgres and not item.get_closest_marker("postgres")))
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
