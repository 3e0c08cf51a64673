"""Copy rows from the default task result table into the active (custom) model's table.

Run it once after swapping ``CELERY_RESULTS_TASKRESULT_MODEL`` on a project
that already has results: every row is copied with INSERT ... SELECT in
id-ordered batches, rows whose task id is already there are skipped, and
extra fields get their defaults. The default table is left as it was.

Private parts relied on (``scripts/prerelease`` tests them against the next
releases): Django: ``Options.concrete_fields``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, router, transaction

from django_celery_results.models import get_task_result_model
from django_celery_results.models.abstract import AbstractTaskResult

SOURCE_TABLE = "django_celery_results_taskresult"


class Command(BaseCommand):
    help = "Copy results from django_celery_results_taskresult into the active TaskResult model."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=10000)
        parser.add_argument("--database", help="Database alias (default: the router's choice).")

    def handle(self, *args: Any, batch_size: int, database: str | None, **options: Any) -> None:
        model = get_task_result_model()
        if model._meta.db_table == SOURCE_TABLE:
            raise CommandError(
                "CELERY_RESULTS_TASKRESULT_MODEL names the default model; set it to your "
                "custom model first."
            )
        alias = database or router.db_for_write(model)
        connection = connections[alias]
        with connection.cursor() as cursor:
            if SOURCE_TABLE not in connection.introspection.table_names(cursor):
                raise CommandError(f"There is no table {SOURCE_TABLE} to copy from.")
            cursor.execute(f"SELECT MIN(id), MAX(id) FROM {SOURCE_TABLE}")
            low, high = cursor.fetchone()
        if low is None:
            self.stdout.write("Nothing to copy: the default table is empty.")
            return

        sql, defaults = self._copy_statement(model, connection)
        copied = 0
        for start in range(low - 1, high, batch_size):
            with transaction.atomic(using=alias), connection.cursor() as cursor:
                cursor.execute(sql, [*defaults, start, start + batch_size])
                copied += cursor.rowcount
        self.stdout.write(f"Copied {copied} results into {model._meta.db_table}.")

    def _copy_statement(self, model: type[AbstractTaskResult], connection: Any) -> tuple[str, list]:
        quote = connection.ops.quote_name
        extra = model.extra_fields()
        standard = [
            field.column
            for field in model._meta.concrete_fields
            if not field.primary_key and field not in extra
        ]
        target = quote(model._meta.db_table)
        columns = ", ".join(quote(column) for column in standard)
        sql = (
            f"INSERT INTO {target} ({columns}"
            + "".join(f", {quote(field.column)}" for field in extra)
            + f") SELECT {', '.join(f'src.{quote(c)}' for c in standard)}"
            + ", %s" * len(extra)
            + f" FROM {SOURCE_TABLE} src WHERE src.id > %s AND src.id <= %s"
            + f" AND NOT EXISTS (SELECT 1 FROM {target} dst WHERE dst.task_id = src.task_id)"
        )
        defaults = [field.get_db_prep_save(field.get_default(), connection) for field in extra]
        return sql, defaults
