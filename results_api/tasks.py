"""The Celery tasks that keep the rollup, the metrics' totals and the search index up to date.

app.conf.beat_schedule = {
    "rollup-task-results": {"task": "results_api.rollup_task_results", "schedule": 60.0},
    "index-task-search": {"task": "results_api.index_task_search", "schedule": 30.0},
}
"""

from __future__ import annotations

from celery import shared_task

from django_celery_results.models import get_task_result_model

from .metrics.totals import count_totals
from .stats.rollups import roll_up


@shared_task(name="results_api.rollup_task_results", ignore_result=True)
def rollup_task_results() -> str:
    """Fold the results closed since the last run into the rollup and the metrics' totals.

    Returns how far the stats rollup reaches.
    """
    model = get_task_result_model()
    head = roll_up(model)
    count_totals(model)
    return str(head)


@shared_task(name="results_api.index_task_search", ignore_result=True)
def index_task_search() -> str:
    """Index the search text of the results changed since the last run; return its head."""
    from .search.index import index_search_text

    return str(index_search_text(get_task_result_model()))
