"""What each database needs for search: on PostgreSQL, pg_trgm and a GIN index over the text.

PostgreSQL answers ``LIKE '%term%'`` from a ``gin_trgm_ops`` index, so a
selective term reads only the rows holding its trigrams. SQLite and
MariaDB have no index that serves a substring: they scan the side table
(docs/api.md, "Search", says what that costs).
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, connections, transaction

__all__ = [
    "TRIGRAM_INDEX",
    "create_trigram_index",
    "drop_trigram_index",
    "has_trigram_index",
]

TRIGRAM_INDEX = "results_api_search_text_trgm"
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
