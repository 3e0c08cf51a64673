"""What each database needs for search: on PostgreSQL, pg_trgm, a GIN index over the text,
one over the hashes of its lines and one over the pieces of its numbers.

PostgreSQL answers ``LIKE '%term%'`` from a ``gin_trgm_ops`` index, so a
selective term reads only the rows holding its trigrams. A key-targeted
term (``kwargs.order_id:4411``) is one whole line of the text: it is
answered from a GIN index over the MD5 of each line (``LINES_FUNCTION``),
whose entry for that exact line is short however many rows hold the key,
where the key's trigrams are in most rows. A term holding a number of
four digits or more is answered from a GIN index over the pieces of the
text's numbers (``NUMBERS_FUNCTION``): a trigram of digits is in a share
of the rows that grows with the table, a seven-digit piece in a handful.
The side table is never scanned
in parallel: PostgreSQL cannot tell how few rows hold one line's hash, and
at 10 million rows it planned a parallel scan whose worker took longer to
start (3 ms) than the index took to answer (0.05 ms). SQLite and MariaDB have
no index that serves a substring: they scan the side table (docs/api.md,
"Search", says what that costs).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import DatabaseError, connections, transaction

__all__ = [
    "LINES_FUNCTION",
    "NUMBERS_FUNCTION",
    "NUMBERS_LONG_RUN",
    "NUMBER_PIECE_LENGTHS",
    "TRIGRAM_INDEX",
    "allow_parallel_scans",
    "create_lines_index",
    "create_numbers_index",
    "create_trigram_index",
    "drop_lines_index",
    "drop_numbers_index",
    "drop_trigram_index",
    "forbid_parallel_scans",
    "has_trigram_index",
    "number_piece",
]

TRIGRAM_INDEX = "results_api_search_text_trgm"
LINES_INDEX = "results_api_search_text_lines"
# text -> the MD5 of each of its lines: what the lines' index holds.
LINES_FUNCTION = "results_api_search_lines"
NUMBERS_INDEX = "results_api_search_text_numbers"
# text -> the pieces of each run of digits in it: what the numbers' index holds.
NUMBERS_FUNCTION = "results_api_search_numbers"
# The shortest and longest pieces of a run of digits the numbers' index holds.
NUMBER_PIECE_LENGTHS = (4, 8)
# A run longer than this is indexed as NUMBERS_LONG_RUN alone, not piece by piece.
LONGEST_RUN = 32
NUMBERS_LONG_RUN = "+"
TABLE = "results_api_tasksearchtext"
_DIGITS = re.compile(f"[0-9]{{{NUMBER_PIECE_LENGTHS[0]},}}")


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


def number_piece(needle: str) -> str | None:
    """Return the piece of ``needle``'s longest run of digits the numbers' index is asked for.

    Its first eight digits (the longest piece indexed), or None when the
    needle holds no run of four digits or more. Every row whose text holds
    the needle has this piece among its entries, or ``NUMBERS_LONG_RUN``.
    """
    runs = _DIGITS.findall(needle)
    if not runs:
        return None
    return max(runs, key=len)[: NUMBER_PIECE_LENGTHS[1]]


def create_numbers_index(apps: Any, schema_editor: Any) -> None:
    """Create the function that cuts the text's numbers into pieces and the GIN index over it.

    For each run of at least four digits, every piece of it four to eight
    digits long: a term's run of digits (its first eight) is one of the
    pieces of every row whose text holds the term. A run longer than
    ``LONGEST_RUN`` is one key, ``NUMBERS_LONG_RUN``, so a row's entries stay
    bounded; a search looks that key up too and checks those rows' text.
    PostgreSQL only.
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    shortest, longest = NUMBER_PIECE_LENGTHS
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {NUMBERS_FUNCTION}(text) RETURNS text[]
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
        DECLARE
            run text;
            size int;
            start int;
            pieces text[] := '{{}}';
        BEGIN
            FOR run IN
                SELECT digits[1] FROM regexp_matches($1, '[0-9]{{{shortest},}}', 'g') AS digits
            LOOP
                IF length(run) > {LONGEST_RUN} THEN
                    pieces := pieces || '{NUMBERS_LONG_RUN}'::text;
                    CONTINUE;
                END IF;
                FOR size IN {shortest} .. least(length(run), {longest}) LOOP
                    FOR start IN 1 .. length(run) - size + 1 LOOP
                        pieces := pieces || substr(run, start, size);
                    END LOOP;
                END LOOP;
            END LOOP;
            RETURN pieces;
        END
        $$
        """
    )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NUMBERS_INDEX} ON {TABLE} "
        f"USING gin ({NUMBERS_FUNCTION}(text))"
    )


def drop_numbers_index(apps: Any, schema_editor: Any) -> None:
    """Drop the numbers' index and its function."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NUMBERS_INDEX}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {NUMBERS_FUNCTION}(text)")
