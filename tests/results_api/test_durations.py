"""Runtime and waiting time: the database's answer and the serializer's are one rule."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from results_api.fields.durations import DURATIONS, RUNTIME, WAIT

NOW = timezone.now().replace(microsecond=0)
SECOND = datetime.timedelta(seconds=1)

ROWS = [
    {"status": "SUCCESS", "date_created": NOW, "date_started": NOW + SECOND},
    {"status": "FAILURE", "date_created": NOW, "date_started": NOW},
    {"status": "STARTED", "date_created": NOW, "date_started": NOW + 2 * SECOND},
    {"status": "PENDING", "date_created": NOW, "date_started": None},
    {"status": "SUCCESS", "date_created": NOW, "date_started": None},
    {"status": "REVOKED", "date_created": NOW + SECOND, "date_started": NOW},
]


@pytest.mark.parametrize("duration", DURATIONS, ids=lambda duration: duration.name)
def test_each_row_has_the_same_duration_in_sql_as_in_python(
    duration: Any, make_task: Any, task_result_model: Any
) -> None:
    for row in ROWS:
        make_task(**row)
    rows = task_result_model._default_manager.annotate(computed=duration.expression())
    assert [duration.seconds(task) for task in rows] == [
        None if task.computed is None else task.computed.total_seconds() for task in rows
    ]


def test_only_a_finished_task_has_a_runtime(make_task: Any) -> None:
    assert RUNTIME.seconds(make_task(status="STARTED", date_started=NOW)) is None
    assert RUNTIME.seconds(make_task(status="SUCCESS", date_started=NOW)) is not None


def test_a_task_started_as_it_was_stored_has_no_waiting_time(make_task: Any) -> None:
    task = make_task(status="STARTED")
    task.date_started = task.date_created
    assert WAIT.seconds(task) is None
