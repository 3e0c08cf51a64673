"""Fixtures of the search tests: both ways a row is matched (indexed, or live)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from django_celery_results.models import get_task_result_model
from results_api.search.index import index_search_text


@pytest.fixture(params=["live", "indexed"])
def matched(request, db):
    """Return ``index()``: a no-op for rows matched live, a fill for rows matched from the index."""

    def index() -> None:
        if request.param == "indexed":
            until = timezone.now() + datetime.timedelta(seconds=1)
            index_search_text(get_task_result_model(), until=until)

    index.kind = request.param
    return index
