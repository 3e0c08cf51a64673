"""Drop-in compatibility with the public django-celery-results 2.6 on PostgreSQL.

They run whenever ``CRA_PG_HOST`` is set. Each test makes its own database on the
server named by ``CRA_PG_*`` (not the pytest-django test database, which these
tests never request) and drops it at the end. The public package runs in a
separate virtualenv, built once per machine under ``var/compat/`` and keyed by
the pinned versions; our package runs with this interpreter. Both sides are
driven by ``driver.py`` in subprocesses.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VAR = Path(os.environ.get("CRA_VAR_DIR", ROOT / "var"))
DRIVER = Path(__file__).with_name("driver.py")
UPSTREAM_VERSION = "2.6.0"
MIGRATIONS = 14
TABLES = (
    "django_celery_results_taskresult",
    "django_celery_results_groupresult",
    "django_celery_results_chordcounter",
)

# Deliberately not marked ``postgres``: tests/conftest.py deselects those unless Django's
# own database is PostgreSQL, whereas these talk to the server directly and so run in
# every configuration of scripts/test, whichever database Django uses.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("CRA_PG_HOST"),
        reason="CRA_PG_HOST is not set: no PostgreSQL server to test against",
    ),
]


def pg_params(dbname: str = "postgres") -> dict:
    return {
        "host": os.environ.get("CRA_PG_HOST", "127.0.0.1"),
        "port": int(os.environ.get("CRA_PG_PORT", "5432")),
        "user": os.environ.get("CRA_PG_USER", "postgres"),
        "password": os.environ.get("CRA_PG_PASSWORD", ""),
        "dbname": dbname,
    }


@contextlib.contextmanager
def connect(dbname: str = "postgres"):
    psycopg = pytest.importorskip("psycopg")
    conn = psycopg.connect(**pg_params(dbname), autocommit=True, connect_timeout=10)
    try:
        yield conn
    finally:
        conn.close()


# The public package's environment


def upstream_requirements() -> list[str]:
    # The same Celery as ours, so that both sides serialise alike.
    return [
        f"django-celery-results=={UPSTREAM_VERSION}",
        "Django~=5.2.0",
        f"celery=={version('celery')}",
        "psycopg[binary]>=3.1",
    ]


@pytest.fixture(scope="session")
def upstream_python() -> Path:
    """The interpreter of a virtualenv with the public package, built once and cached."""
    requirements = upstream_requirements()
    key = hashlib.sha256(
        json.dumps([sys.version_info[:2], sys.base_prefix, requirements]).encode()
    ).hexdigest()[:12]
    base = VAR / "compat"
    base.mkdir(parents=True, exist_ok=True)
    venv = (
        base / f"upstream-dcr-{UPSTREAM_VERSION}-py{sys.version_info[0]}{sys.version_info[1]}-{key}"
    )
    python = venv / "bin" / "python"
    done = venv / ".complete"
    with open(base / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another pytest may be building it
        if not done.exists():
            shutil.rmtree(venv, ignore_errors=True)
            for command in (
                [sys.executable, "-m", "venv", str(venv)],
                [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                 *requirements],
            ):  # fmt: skip
                proc = subprocess.run(
                    command, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL
                )
                if proc.returncode:
                    shutil.rmtree(venv, ignore_errors=True)
                    pytest.fail(
                        f"building the upstream virtualenv failed: {' '.join(command)}\n"
                        f"{proc.stdout}\n{proc.stderr}"
                    )
            done.write_text("\n".join(requirements) + "\n")
    return python


# Databases and settings


@pytest.fixture
def make_database():
    """Create uniquely named databases on the test server; drop them afterwards."""
    from psycopg import sql

    created: list[str] = []

    def create(tag: str) -> str:
        name = f"cra_compat_{tag}_{uuid.uuid4().hex[:10]}"
        with connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return name

    yield create
    with connect() as conn:
        for name in created:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def write_settings(directory: Path, dbname: str, extra_apps=(), **extra) -> str:
    """Write a settings module for ``dbname``; return its module name."""
    params = pg_params(dbname)
    settings = {
        "SECRET_KEY": "compat-tests",
        "USE_TZ": True,
        "TIME_ZONE": "UTC",
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "INSTALLED_APPS": [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django_celery_results",
            *extra_apps,
        ],
        "DATABASES": {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "HOST": params["host"],
                "PORT": str(params["port"]),
                "USER": params["user"],
                "PASSWORD": params["password"],
                "NAME": dbname,
            }
        },
        "CELERY_BROKER_URL": "memory://",
        "CELERY_RESULT_BACKEND": "django-db",
        "CELERY_RESULT_EXTENDED": True,
        **extra,
    }
    module = f"compat_settings_{dbname}"
    directory.mkdir(parents=True, exist_ok=True)
    lines = [f"{name} = {value!r}" for name, value in settings.items()]
    (directory / f"{module}.py").write_text("\n".join(lines) + "\n")
    return module


class Side:
    """One side of the comparison: an interpreter, a settings module and a sys.path."""

    def __init__(self, label: str, python: Path | str, settings: str, path: list[Path], cwd: Path):
        self.label = label
        self.python = str(python)
        self.settings = settings
        self.path = path
        self.cwd = cwd

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
        }
        env["DJANGO_SETTINGS_MODULE"] = self.settings
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in self.path)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        proc = subprocess.run(
            [self.python, *args],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
        if check and proc.returncode:
            pytest.fail(
                f"[{self.label}] {' '.join(args)} exited {proc.returncode}\n"
                f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
            )
        return proc

    def django(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("-m", "django", *args, check=check)

    def driver(self, *args: str) -> dict:
        return json.loads(self.run(str(DRIVER), *args).stdout.strip().splitlines()[-1])

    def migrate(self) -> None:
        proc = self.django("migrate", "--noinput", "-v", "1")
        output = proc.stdout + proc.stderr
        assert "Traceback" not in output and "Error" not in output, output

    def migrations(self, app: str = "django_celery_results") -> dict[str, bool]:
        """``showmigrations``: migration name -> applied."""
        out = self.django("showmigrations", app).stdout
        found = re.findall(r"^\s*\[([ X-])\]\s+(\S+)", out, flags=re.M)
        return {name: mark == "X" for mark, name in found}


def upstream_side(python: Path, tmp_path: Path, dbname: str) -> Side:
    # Only the settings dir on sys.path (and as cwd): our checkout must not shadow the package.
    directory = tmp_path / "upstream"
    settings = write_settings(directory, dbname)
    return Side("upstream", python, settings, [directory], directory)


def our_side(tmp_path: Path, dbname: str, extra_apps=(), **extra) -> Side:
    directory = tmp_path / "ours"
    settings = write_settings(directory, dbname, extra_apps, **extra)
    return Side("ours", sys.executable, settings, [directory, ROOT], ROOT)


def check_is_upstream(side: Side) -> None:
    who = side.driver("whoami")
    assert who["version"] == UPSTREAM_VERSION, who
    assert not Path(who["file"]).resolve().is_relative_to(ROOT.resolve() / "django_celery_results")


def check_is_ours(side: Side) -> None:
    who = side.driver("whoami")
    assert Path(who["file"]).resolve().is_relative_to(ROOT.resolve() / "django_celery_results"), who
    assert who["backend"] == "django_celery_results.backends.database.DatabaseBackend", who


# Introspection


def table_names(dbname: str) -> list[str]:
    with connect(dbname) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        ).fetchall()
    return [row[0] for row in rows]


def schema(dbname: str) -> dict:
    """Columns, indexes and constraints of the three tables, in a comparable form."""
    with connect(dbname) as conn:
        columns = conn.execute(
            """
            SELECT table_name, column_name, data_type, character_maximum_length,
                   is_nullable, column_default, is_identity, identity_generation
            FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name = ANY(%s)
            ORDER BY table_name, ordinal_position
            """,
            [list(TABLES)],
        ).fetchall()
        indexes = conn.execute(
            """
            SELECT tablename, indexname, indexdef FROM pg_indexes
            WHERE schemaname = 'public' AND tablename = ANY(%s)
            ORDER BY tablename, indexname
            """,
            [list(TABLES)],
        ).fetchall()
        constraints = conn.execute(
            """
            SELECT conrelid::regclass::text, conname, contype::text, pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE conrelid::regclass::text = ANY(%s)
            ORDER BY 1, 2
            """,
            [list(TABLES)],
        ).fetchall()
    result: dict[str, dict] = {
        table: {"columns": [], "indexes": {}, "constraints": {}} for table in TABLES
    }
    for table, *column in columns:
        result[table]["columns"].append(tuple(column))
    for table, name, definition in indexes:
        result[table]["indexes"][name] = " ".join(definition.split())
    for table, name, kind, definition in constraints:
        result[table]["constraints"][name] = (kind, " ".join(definition.split()))
    return result


# Tests


def test_upstream_results_survive_migration_to_ours(upstream_python, make_database, tmp_path):
    """A database written by the public 2.6 migrates cleanly and reads back identically."""
    dbname = make_database("upgrade")
    upstream = upstream_side(upstream_python, tmp_path, dbname)
    ours = our_side(tmp_path, dbname)
    check_is_upstream(upstream)
    check_is_ours(ours)

    upstream.migrate()
    upstream_migrations = upstream.migrations()
    assert len(upstream_migrations) == MIGRATIONS and all(upstream_migrations.values())

    ids = upstream.driver("store-upstream")
    expected = upstream.driver("read", json.dumps(ids))
    # The public package itself reads back what was stored (so the comparison means something).
    tasks = expected["tasks"]
    assert tasks["success"]["state"] == "SUCCESS"
    assert tasks["success"]["get"]["answer"] == 42
    assert tasks["success"]["meta"]["task_name"] == "compat.success"
    assert tasks["success"]["meta"]["worker"] == "compat-worker@localhost"
    assert tasks["success"]["args"] == [1, "two"]
    assert tasks["success"]["kwargs"] == {"three": 3}
    assert tasks["failure"]["state"] == "FAILURE"
    assert tasks["failure"]["get"] == {
        "exception": "builtins.ValueError",
        "args": ["compat boom", 7],
    }
    assert "compat boom" in tasks["failure"]["traceback"]
    assert tasks["started_then_done"]["state"] == "SUCCESS"
    assert tasks["started_then_done"]["get"] == [1, 2, 3]
    assert expected["groups"]["group"]["members"] == ids["group_members"]
    assert expected["groups"]["group"]["values"] == [0, 10]

    ours.migrate()
    ours.django("migrate", "--check")  # exits non-zero when a migration is pending
    our_migrations = ours.migrations()
    assert our_migrations == upstream_migrations, "migration names differ from upstream's"
    assert sum(our_migrations.values()) == MIGRATIONS

    assert ours.driver("read", json.dumps(ids)) == expected

    # And the other way: what ours stores, the public package reads alike.
    our_ids = ours.driver("store-ours")
    ours_view = ours.driver("read", json.dumps(our_ids))
    assert ours_view["tasks"]["ours_success"]["get"] == {"written": "by ours"}
    assert ours_view["tasks"]["ours_failure"]["state"] == "FAILURE"
    assert upstream.driver("read", json.dumps(our_ids)) == ours_view


def test_schema_matches_upstream(upstream_python, make_database, tmp_path):
    """Fresh databases migrated by the public 2.6 and by ours have the same tables."""
    upstream_db = make_database("schema_upstream")
    our_db = make_database("schema_ours")
    upstream_side(upstream_python, tmp_path, upstream_db).migrate()
    our_side(tmp_path, our_db).migrate()

    def ours_tables(db):
        return [t for t in table_names(db) if t.startswith("django_celery_results_")]

    assert ours_tables(upstream_db) == sorted(TABLES)
    assert ours_tables(our_db) == sorted(TABLES)
    expected, actual = schema(upstream_db), schema(our_db)
    for table in TABLES:
        assert expected[table]["columns"] and expected[table]["constraints"], table
        assert actual[table]["columns"] == expected[table]["columns"], table
        assert actual[table]["indexes"] == expected[table]["indexes"], table
        assert actual[table]["constraints"] == expected[table]["constraints"], table


def test_swapped_task_model_creates_no_default_table(make_database, tmp_path):
    """With CELERY_RESULTS_TASKRESULT_MODEL swapped, migrating ours skips the default table."""
    dbname = make_database("swapped")
    ours = our_side(
        tmp_path,
        dbname,
        extra_apps=["tests.testapp"],
        CELERY_RESULTS_TASKRESULT_MODEL="testapp.TaskResult",
    )
    ours.migrate()
    ours.django("migrate", "--check")
    migrations = ours.migrations()
    assert len(migrations) == MIGRATIONS and all(migrations.values()), migrations

    tables = table_names(dbname)
    assert "django_celery_results_taskresult" not in tables
    assert "testapp_taskresult" in tables
    assert "django_celery_results_groupresult" in tables
    assert "django_celery_results_chordcounter" in tables
