"""The ``exc_type`` of a stored exception, as a database expression.

Celery stores the exception of a FAILURE, RETRY or REVOKED state as the
JSON object ``{"exc_type": "ValueError", "exc_message": [...], ...}``,
``exc_type`` first. Only the class name is read (never the message, which
redaction may mask), and only of rows whose content is JSON: other content
types are never decoded by the API. Each database reads it its own way,
without ever failing on text that is not JSON: PostgreSQL by pattern (the
first ``"exc_type": "..."`` of the text, which is the top-level key as
Celery writes it), SQLite and MariaDB/MySQL with their JSON functions after
checking that the text is valid JSON.
"""

from __future__ import annotations

from typing import Any

from celery import states
from django.db import models

from django_celery_results.content import JSON_CONTENT_TYPES

EXCEPTION_STATES = tuple(sorted(states.EXCEPTION_STATES))
# A class name in Celery's JSON: no quote or escape inside.
_PG_PATTERN = r'"exc_type"\s*:\s*"([^"\\]+)"'


class ExceptionTypeOf(models.Func):
    """The ``exc_type`` string of a JSON text column, NULL where it has none."""

    output_field = models.CharField()
    arity = 1

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "substring(%(expressions)s from %%s)"
        sql, params = super().as_sql(compiler, connection, template=template, **extra)
        return sql, (*params, _PG_PATTERN)

    def as_mysql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = (
            "CASE WHEN JSON_VALID(%(expressions)s) THEN "
            "JSON_UNQUOTE(JSON_EXTRACT(%(expressions)s, '$.exc_type')) END"
        )
        return self._twice(compiler, connection, template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Nested CASEs: SQLite evaluates them lazily, and json_type fails on invalid JSON.
        template = (
            "CASE WHEN json_valid(%(expressions)s) THEN "
            "CASE WHEN json_type(%(expressions)s, '$.exc_type') = 'text' THEN "
            "json_extract(%(expressions)s, '$.exc_type') END END"
        )
        return self._twice(compiler, connection, template, **extra)

    def _twice(self, compiler: Any, connection: Any, template: str, **extra: Any) -> Any:
        """Compile with the column named in ``template`` several times (its params repeated)."""
        sql, params = super().as_sql(compiler, connection, template=template, **extra)
        return sql, tuple(params) * template.count("%(expressions)s")


def exception_type() -> models.Case:
    """Return the ``exc_type`` of a row in an exception state with JSON content, else NULL."""
    return of_stored_exception(ExceptionTypeOf(models.F("result")))


def of_stored_exception(expression: models.Expression) -> models.Case:
    """Return ``expression`` for a row in an exception state with JSON content, else NULL."""
    return models.Case(
        models.When(
            status__in=EXCEPTION_STATES,
            content_type__in=sorted(JSON_CONTENT_TYPES),
            then=expression,
        ),
        default=models.Value(None),
        output_field=models.CharField(),
    )
