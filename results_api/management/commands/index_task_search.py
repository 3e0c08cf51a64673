"""``manage.py index_task_search``: bring the search side table up to date, or build it again.

    python manage.py index_task_search             # index what changed (all rows, the first time)
    python manage.py index_task_search --rebuild   # forget the side table and index every row

Safe while workers write: it reads only rows older than ``SEARCH_INDEX_LAG``
and upserts their text; a search matches the rest live meanwhile.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from django_celery_results.models import get_task_result_model

from ...search.index import BATCH_SIZE, index_search_text, indexable, rebuild_search_text
from ..arguments import add_until_and_database, until_of


class Command(BaseCommand):
    help = "Index the masked content of task results for ?search= (results_api.search)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="forget the side table first and index anew"
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        add_until_and_database(
            parser, "ISO 8601 date-time to index up to (default: now less SEARCH_INDEX_LAG)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        until = until_of(options)
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be 1 or more.")
        model = get_task_result_model()
        if not indexable(model):
            raise CommandError(
                f"{model._meta.label} has no integer primary key, which the search side table "
                "needs; searches match its rows live (see results_api.W030)."
            )
        if options["rebuild"]:
            rebuild_search_text(model, using=options["database"])
        started = time.perf_counter()
        verbose = options["verbosity"] > 1

        def progress(rows: int, head: datetime.datetime | None) -> None:
            if verbose and rows % (options["batch_size"] * 50) == 0:
                rate = rows / max(time.perf_counter() - started, 1e-9)
                self.stdout.write(f"  {rows:,} rows ({rate:,.0f}/s), indexed until {head}")

        head = index_search_text(
            model,
            until=until,
            using=options["database"],
            batch_size=options["batch_size"],
            progress=progress,
        )
        took = datetime.timedelta(seconds=round(time.perf_counter() - started))
        self.stdout.write(f"{model._meta.label}: search indexed until {head} (took {took}).")
