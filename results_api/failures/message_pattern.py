"""The message pattern of a stored exception: its message with the varying words folded.

    message_pattern("Order 81723 not found")            -> "Order # not found"
    message_pattern("connect to 10.0.0.5:5432 refused")  -> "connect to # refused"
    message_pattern("no rows since 2026-12-05T10:00:00+00:00")  -> "no rows since #"

So that 342 failures that differ only by an order number or an address
count as one group (``?group_by=exc_type,exc_pattern``). The message is the
first argument of the exception as Celery stored it in JSON
(``"exc_message": ["..."]``), read only when it is a string: that is free
text, which the API shows unmasked anyway (:mod:`django_celery_results.masking`),
so a pattern never reveals a masked value. Its first line is kept, every
word holding a digit becomes ``#`` (a word: letters, digits and
``_ . : / @ + -``, so that a date, an address or an id is one word), and
the whole is cut at ``MAX_LENGTH`` characters.

Each database computes it in the query: PostgreSQL and MariaDB/MySQL with
their own regular expressions, SQLite with :func:`message_pattern` itself,
registered on the connection. Text that is not JSON yields NULL, never an
error. Only ASCII digits count as digits; PostgreSQL's and MariaDB's idea
of a letter may differ from Python's for letters outside ASCII.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import models

from .exception_type import of_stored_exception

MAX_LENGTH = 120
FOLDED = "#"
# A word with a digit in it. The same class in Python, PostgreSQL and MariaDB.
_WORD = r"[[:alnum:]_.:/@+-]*[0-9][[:alnum:]_.:/@+-]*"
_PY_WORD = re.compile(r"[\w.:/@+-]*[0-9][\w.:/@+-]*")
# The first string of exc_message, as a valid JSON string body: no control character, no
# \u0000 and no lone surrogate, which PostgreSQL would refuse to decode.
_PG_MESSAGE = (
    r'"exc_message"\s*:\s*\[\s*"((?:[^"\\[:cntrl:]]|\\["\\/bfnrt]'
    r"|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r'|\\u(?![dD][89a-fA-F]|0000)[0-9a-fA-F]{4})*)"'
)
_SQLITE_FUNCTION = "results_api_message_pattern"


def message_pattern(result: Any) -> str | None:
    """Return the pattern of the exception in stored JSON ``result`` text, or None."""
    try:
        value = json.loads(result)
    except (TypeError, ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    arguments = value.get("exc_message")
    if not isinstance(arguments, list) or not arguments or not isinstance(arguments[0], str):
        return None
    message = arguments[0]
    if "\x00" in message or not _encodable(message):
        return None  # as on PostgreSQL, which cannot decode a NUL or a lone surrogate
    return _PY_WORD.sub(FOLDED, message.split("\n", 1)[0])[:MAX_LENGTH]


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


class ExceptionPatternOf(models.Func):
    """The message pattern of the exception in a JSON text column, NULL where it has none."""

    output_field = models.CharField()
    arity = 1

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # The body is valid JSON string text: decoding it as a JSON string cannot fail.
        template = (
            "left(regexp_replace(split_part("
            "('\"' || substring(%(expressions)s from %%s) || '\"')::json #>> '{}', "
            "E'\\n', 1), %%s, %%s, 'g'), %%s)"
        )
        sql, params = super().as_sql(compiler, connection, template=template, **extra)
        return sql, (*params, _PG_MESSAGE, _WORD, FOLDED, MAX_LENGTH)

    def as_mysql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        message = "JSON_EXTRACT(%(expressions)s, '$.exc_message[0]')"
        text = f"JSON_UNQUOTE({message})"
        template = (
            "CASE WHEN JSON_VALID(%(expressions)s) THEN "
            f"CASE WHEN JSON_TYPE({message}) = 'STRING' AND LOCATE(CHAR(0), {text}) = 0 THEN "
            f"LEFT(REGEXP_REPLACE(SUBSTRING_INDEX({text}, '\\n', 1), %%s, %%s), %%s) END END"
        )
        sql, params = super().as_sql(compiler, connection, template=template, **extra)
        return sql, (*tuple(params) * template.count("%(expressions)s"), _WORD, FOLDED, MAX_LENGTH)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        _register_on_sqlite(connection)
        template = f"{_SQLITE_FUNCTION}(%(expressions)s)"
        return super().as_sql(compiler, connection, template=template, **extra)


def _register_on_sqlite(connection: Any) -> None:
    """Give SQLite's connection the Python function, once per underlying connection."""
    connection.ensure_connection()
    raw = connection.connection
    if getattr(connection, "_results_api_pattern_on", None) is not raw:
        raw.create_function(_SQLITE_FUNCTION, 1, message_pattern, deterministic=True)
        connection._results_api_pattern_on = raw


def exception_pattern() -> models.Case:
    """Return the message pattern of a row in an exception state with JSON content, else NULL."""
    return of_stored_exception(ExceptionPatternOf(models.F("result")))
