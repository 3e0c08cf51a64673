"""``manage.py rollup_task_results``: bring the stats rollup and the metrics' totals up to date.

    python manage.py rollup_task_results             # backfill on the first run, then catch up
    python manage.py rollup_task_results --rebuild   # forget the rollup and build it anew

Safe while workers write: it reads only results older than ``ROLLUP_LAG``.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand

from django_celery_results.models import get_task_result_model

from ...metrics.totals import count_totals
from ...stats.rollups import rebuild, roll_up
from ..arguments import add_until_and_database, until_of


class Command(BaseCommand):
    help = "Fold the closed time windows of the task results into the stats rollup."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="forget the rollup first and build it anew"
        )
        add_until_and_database(
            parser, "ISO 8601 date-time to roll up to (default: now less ROLLUP_LAG)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        until = until_of(options)
        model = get_task_result_model()
        if options["rebuild"]:
            rebuild(model, using=options["database"])
        started = time.perf_counter()
        head = roll_up(model, until=until, using=options["database"])
        counted = count_totals(model, until=until, using=options["database"])
        took = datetime.timedelta(seconds=round(time.perf_counter() - started))
        self.stdout.write(
            f"{model._meta.label}: rolled up until {head}, metrics counted until {counted} "
            f"(took {took})."
        )
