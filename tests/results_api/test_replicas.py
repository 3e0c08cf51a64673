"""A real PostgreSQL streaming replica: the API reads it, the backend reads the primary.

The replication pair (scripts/services replica-start: its own small
primary and a replica made by ``pg_basebackup -R``) is set up by the test
run. A router sends reads of the result models to "replica" and writes to
"primary"; pausing the replica's replay makes its lag visible.
"""

from __future__ import annotations

import copy
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from celery import states
from django.core.management import call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext

from django_celery_results.models import get_task_result_model

from .conftest import task_url

# Committed writes (no test transaction) on the pair, so that they replicate; the
# replica is a mirror of "primary" to Django's test framework, which never flushes it.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(databases=["default", "primary", "replica"], transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
REPLICA_ALIASES = ("primary", "replica")


def _register(name: str, port: int) -> None:
    base = copy.deepcopy(connections["default"].settings_dict)
    connections.settings["primary"] = {**base, "NAME": name, "PORT": str(port)}
    replica = copy.deepcopy(base)
    replica.update(NAME=name, PORT=str(port + 1), TEST={**base["TEST"], "MIRROR": "primary"})
    connections.settings["replica"] = replica


def _unregister() -> None:
    for alias in REPLICA_ALIASES:
        if alias in connections.settings:
            connections[alias].close()
            del connections[alias]
            del connections.settings[alias]


@pytest.fixture(scope="session")
def replication_database(django_db_setup, django_db_blocker):
    """A database of this run on the pair's primary, migrated, and its name."""
    subprocess.run(["bash", str(ROOT / "scripts" / "services"), "replica-start"], check=True)
    port = int(os.environ.get("CRA_PG_REPL_PORT", "54331"))
    name = f"test_replica_{os.getpid()}"
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    with django_db_blocker.unblock():
        _register(name, port)
        call_command("migrate", database="primary", verbosity=0)
    yield name, port
    _unregister()
    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def replicated(replication_database, settings):
    """Route the result models' reads to the replica and their writes to its primary."""
    settings.DATABASE_ROUTERS = ["tests.replica_router.ReplicaRouter"]
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,), "the replica is not a standby"
    yield
    _resume_replay()


def _replica_lag() -> tuple[int, float]:
    """Return how many bytes of WAL the replica has yet to replay, and its replay delay (s)."""
    with connections["primary"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (primary_lsn,) = cursor.fetchone()
    with connections["replica"].cursor() as cursor:
        cursor.execute(
            "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())::bigint, "
            "COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)",
            [primary_lsn],
        )
        behind, delay = cursor.fetchone()
    return max(int(behind), 0), float(delay)


def _wait_for_replica(timeout: float = 30) -> float:
    """Wait until the replica has replayed all the primary wrote; return the seconds waited."""
    started = time.monotonic()
    while _replica_lag()[0] > 0:
        assert time.monotonic() - started < timeout, f"replica lag {_replica_lag()}"
        time.sleep(0.02)
    return time.monotonic() - started


def _pause_replay() -> None:
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")


def _resume_replay() -> None:
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")


def _store(celery_app, task_id: str, status: str = states.SUCCESS) -> None:
    celery_app.backend.store_result(task_id, {"rows": 3}, status)


def test_the_api_reads_the_replica_the_router_names(replicated, celery_app, staff_client):
    _store(celery_app, "on-both")
    waited = _wait_for_replica()

    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["primary"]) as on_primary,
    ):
        detail = staff_client.get(task_url("on-both"))
        listed = staff_client.get("/api/results/tasks/")
        stats = staff_client.get("/api/results/tasks/stats/?group_by=status")

    assert detail.status_code == 200, detail.content
    assert [row["task_id"] for row in listed.json()["results"]] == ["on-both"]
    assert stats.json()["results"] == [
        {**stats.json()["results"][0], "status": "SUCCESS", "count": 1}
    ]
    table = get_task_result_model()._meta.db_table
    assert sum(table in query["sql"] for query in on_replica.captured_queries) >= 3
    assert on_primary.captured_queries == []
    assert waited < 30


def test_a_lagging_replica_hides_a_new_result_from_the_api_not_from_the_backend(
    replicated, celery_app, staff_client
):
    _store(celery_app, "before")
    _wait_for_replica()
    _pause_replay()
    task_id = f"lagging-{uuid.uuid4()}"

    _store(celery_app, task_id)

    behind, _ = _replica_lag()
    assert behind > 0, "the replica has the write although its replay is paused"
    assert staff_client.get(task_url(task_id)).status_code == 404  # the API reads the replica
    meta = celery_app.backend.get_task_meta(task_id)  # the backend reads the primary
    assert meta["status"] == states.SUCCESS
    assert celery_app.AsyncResult(task_id).result == {"rows": 3}

    _resume_replay()
    _wait_for_replica()
    assert staff_client.get(task_url(task_id)).status_code == 200


def test_group_restore_reads_the_primary_while_the_replica_lags(replicated, celery_app):
    _pause_replay()
    group_id = f"group-{uuid.uuid4()}"
    children = [celery_app.AsyncResult(f"{group_id}-{number}") for number in range(2)]
    group = celery_app.GroupResult(group_id, children)

    celery_app.backend.save_group(group_id, group)

    assert _replica_lag()[0] > 0
    restored = celery_app.backend.restore_group(group_id)
    assert [child.id for child in restored.results] == [child.id for child in children]


def test_chord_counting_reads_the_primary_while_the_replica_lags(replicated, celery_app):
    from celery.result import AsyncResult, GroupResult

    from django_celery_results.models import ChordCounter

    group_id = f"chord-{uuid.uuid4()}"
    header_ids = [f"{group_id}-{number}" for number in range(2)]
    header = GroupResult(group_id, [AsyncResult(task_id, app=celery_app) for task_id in header_ids])
    celery_app.backend.apply_chord(header, {"chord_size": None})
    _wait_for_replica()
    _pause_replay()
    for task_id in header_ids:
        _store(celery_app, task_id)
    counters = ChordCounter._default_manager

    first = counters.count_down(group_id, get_task_result_model())
    last = counters.count_down(group_id, get_task_result_model())

    # The last header result is counted as ready although the replica has none of them.
    assert _replica_lag()[0] > 0
    assert (
        not get_task_result_model()._default_manager.using("replica").filter(task_id__in=header_ids)
    )
    assert first is None
    assert last is not None and last.group_id == group_id
