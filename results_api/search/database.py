"""What each database needs for search: on PostgreSQL, pg_trgm, a GIN index over the text,
and one over the hashes of its lines.

PostgreSQL answers ``LIKE '%term%'`` from a ``gin_trgm_ops`` index, so a
selective term reads only the rows holding its trigrams. A key-targeted
term (``kwargs.order_id:4411``) is one whole line of the text: it is
answered from a GIN index over the MD5 of each line (``LINES_FUNCTION``),
whose entry for that exact line is short however many rows hold the key,
where the key's trigrams are in most rows. The side table is never scanned
in parallel: PostgreSQL cannot tell how few rows hold one line's hash, and
at 10 million rows it planned a parallel scan whose worker took longer to
start (3 ms) than the index took to answer (0.05 ms). SQLite and MariaDB have
no index that serves a substring: they scan the side table (docs/api.md,
"Search", says what that costs).
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, connections, transaction

__all__ = [
    "LINES_FUNCTION",
    "TRIGRAM_INDEX",
    "allow_parallel_scans",
    "create_lines_index",
    "create_trigram_index",
    "drop_lines_index",
    "drop_trigram_index",
    "forbid_parallel_scans",
    "has_trigram_index",
]

TRIGRAM_INDEX = "results_api_search_text_trgm"
LINES_INDEX = "results_api_search_text_lines"
# text -> the MD5 of each of its lines: what the lines' index holds.
LINES_FUNCTION = "results_api_search_lines"
TABLE = "results_api_tasksearchtext"


def create_trigram_index(apps: Any, schema_editor: Any) -> None:
    """Create pg_trgm (if missing) and the trigram index, on PostgreSQL only."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        raise RuntimeError(
            "Search needs the PostgreSQL extension pg_trgm, and this user may not create it "
            f"({exc}). Have a superuser run CREATE EXTENSION pg_trgm; in database "
            f"{connection.settings_dict['NAME']!r} (with the postgresql-contrib package "
            "installed), then migrate again."
        ) from exc
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON {TABLE} USING gin (text gin_trgm_ops)"
    )


def drop_trigram_index(apps: Any, schema_editor: Any) -> None:
    """Drop the trigram index (the extension stays: other tables may use it)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


def has_trigram_index(using: str) -> bool:
    """Return whether the database ``using`` has the trigram index (always False off PostgreSQL)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [TRIGRAM_INDEX])
        return cursor.fetchone() is not None


def create_lines_index(apps: Any, schema_editor: Any) -> None:
    """Create the line-hashing function and the GIN index over it, on PostgreSQL only."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION {LINES_FUNCTION}(text) RETURNS text[] "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
        "$$ SELECT array_agg(md5(line)) FROM unnest(string_to_array($1, E'\\n')) AS line "
        "WHERE line <> '' $$"
    )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {LINES_INDEX} ON {TABLE} USING gin ({LINES_FUNCTION}(text))"
    )


def drop_lines_index(apps: Any, schema_editor: Any) -> None:
    """Drop the lines' index and its function."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {LINES_INDEX}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {LINES_FUNCTION}(text)")


def forbid_parallel_scans(apps: Any, schema_editor: Any) -> None:
    """Plan the side table's scans without parallel workers, on PostgreSQL only."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (parallel_workers = 0)")


def allow_parallel_scans(apps: Any, schema_editor: Any) -> None:
    """Let PostgreSQL plan parallel scans of the side table again."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (parallel_workers)")
