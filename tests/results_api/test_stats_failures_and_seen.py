"""What an operator reads at a glance: failures per exception type, figures per task name.

``tasks/stats/?group_by=exc_type`` counts the results per exception type
Celery stored, ``?exc_type=`` lists them, and every stats row holds its
failures and its first and last ``date_done``.
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from .conftest import stats_url, task_ids, tasks_url

T0 = datetime.datetime(2026, 11, 24, 10, 2, tzinfo=datetime.timezone.utc)


def failure(exc_type: str, message: str = "boom") -> str:
    """A failed task's result as Celery's JSON stores it."""
    return json.dumps({"exc_type": exc_type, "exc_message": [message], "exc_module": "builtins"})


def _stats(client, **params) -> list[dict]:
    response = client.get(stats_url(**params))
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _dated(make_task, minutes: int, **values):
    row = make_task(**values)
    done = T0 + datetime.timedelta(minutes=minutes)
    type(row)._default_manager.filter(pk=row.pk).update(date_done=done)
    return row


@pytest.fixture
def failures(make_task):
    """Three ConnectionErrors (10:02 to 10:40), one KeyError, a pickled failure, a success."""
    _dated(make_task, 0, task_id="c1", status="FAILURE", result=failure("ConnectionError"))
    _dated(make_task, 38, task_id="c2", status="FAILURE", result=failure("ConnectionError"))
    _dated(make_task, 20, task_id="c3", status="FAILURE", result=failure("ConnectionError"))
    _dated(make_task, 5, task_id="k1", status="FAILURE", result=failure("KeyError", "'x'"))
    _dated(
        make_task,
        6,
        task_id="p1",
        status="FAILURE",
        content_type="application/x-python-serialize",
        result="gASVKAAAAAAAAAB9lCiMCGV4Y190eXBllIwKVmFsdWVFcnJvcpR1Lg==",
    )
    _dated(make_task, 7, task_id="s1", status="SUCCESS", result=json.dumps({"exc_type": "No"}))


def test_stats_group_failures_by_exception_type_with_first_and_last_seen(staff_client, failures):
    rows = _stats(staff_client, group_by="exc_type", status="FAILURE")
    by_type = {row["exc_type"]: row for row in rows}
    assert {name: row["count"] for name, row in by_type.items()} == {
        "ConnectionError": 3,
        "KeyError": 1,
        None: 1,  # pickled: never decoded, so its type is not known
    }
    connection_errors = by_type["ConnectionError"]
    assert connection_errors["first_seen"] == "2026-11-24T10:02:00Z"
    assert connection_errors["last_seen"] == "2026-11-24T10:40:00Z"
    assert connection_errors["failures"] == 3


def test_a_successful_result_that_looks_like_an_exception_has_no_exception_type(
    staff_client, failures
):
    rows = _stats(staff_client, group_by="exc_type", status="SUCCESS")
    assert [(row["exc_type"], row["count"]) for row in rows] == [(None, 1)]


def test_the_task_list_filters_by_exception_type(staff_client, failures):
    response = staff_client.get(tasks_url(exc_type="ConnectionError", ordering="task_id"))
    assert task_ids(response) == ["c1", "c2", "c3"]


def test_the_stats_filter_by_exception_type_too(staff_client, failures):
    rows = _stats(staff_client, exc_type="KeyError")
    assert [row["count"] for row in rows] == [1]


def test_stats_rows_count_failures_and_the_last_result_per_task_name(staff_client, make_task):
    _dated(make_task, 0, task_name="app.a", status="SUCCESS")
    _dated(make_task, 9, task_name="app.a", status="FAILURE", result=failure("ValueError"))
    _dated(make_task, 3, task_name="app.a", status="SUCCESS")
    _dated(make_task, 1, task_name="app.b", status="SUCCESS")
    rows = {row["task_name"]: row for row in _stats(staff_client, group_by="task_name")}
    assert (rows["app.a"]["count"], rows["app.a"]["failures"]) == (3, 1)
    assert rows["app.a"]["last_seen"] == "2026-11-24T10:11:00Z"
    assert rows["app.a"]["first_seen"] == "2026-11-24T10:02:00Z"
    assert (rows["app.b"]["count"], rows["app.b"]["failures"]) == (1, 0)


def test_an_empty_answer_has_no_first_or_last_seen(staff_client, db):
    rows = _stats(staff_client, date_done__gte=timezone.now().isoformat())
    assert rows == [
        {
            **rows[0],
            "count": 0,
            "failures": 0,
            "first_seen": None,
            "last_seen": None,
        }
    ]


def test_the_rollup_answers_failures_and_first_and_last_seen_as_the_task_table(
    staff_client, settings, make_task
):
    from django_celery_results.models import get_task_result_model
    from results_api.stats.rollups import roll_up

    for minutes, name, status in [(0, "a", "SUCCESS"), (70, "a", "FAILURE"), (130, "b", "FAILURE")]:
        _dated(make_task, minutes, task_name=name, status=status, result=failure("OSError"))
    _dated(make_task, 200, task_name="a", status="FAILURE", result=failure("OSError"))
    roll_up(get_task_result_model(), until=T0 + datetime.timedelta(minutes=180))
    params = {"group_by": "task_name", "date_done__gte": T0.isoformat()}

    from_rollup = _stats(staff_client, **params)
    settings.RESULTS_API = {**getattr(settings, "RESULTS_API", {}), "STATS_FROM_ROLLUPS": False}
    from_tasks = _stats(staff_client, **params)

    shown = ("task_name", "count", "failures", "first_seen", "last_seen")
    assert [{key: row[key] for key in shown} for row in from_rollup] == [
        {key: row[key] for key in shown} for row in from_tasks
    ]
    assert [row["failures"] for row in from_rollup] == [2, 1]
    assert from_rollup[0]["last_seen"] == "2026-11-24T13:22:00Z"


def test_hiding_the_result_hides_its_exception_type(staff_client, settings, failures):
    settings.RESULTS_API = {**getattr(settings, "RESULTS_API", {}), "EXCLUDE_FIELDS": ["result"]}
    assert staff_client.get(stats_url(group_by="exc_type")).status_code == 400
    response = staff_client.get(tasks_url(exc_type="KeyError"))
    assert response.status_code == 400 and "exc_type" in response.json()


@pytest.fixture
def messages(make_task):
    """Failures whose messages differ only by their numbers, and one of another kind."""
    for number, (exc_type, message) in enumerate(
        [
            ("LookupError", "Order 81723 not found"),
            ("LookupError", "Order 5 not found"),
            ("ConnectionError", "connect to 10.0.0.5:5432 refused"),
            ("ConnectionError", "connect to 10.0.0.6:5432 refused"),
            ("ConnectionError", "connect to db-2.internal:5432 refused"),
            ("ConnectionError", "DNS lookup failed"),
        ]
    ):
        _dated(
            make_task,
            number,
            task_id=f"m{number}",
            status="FAILURE",
            result=failure(exc_type, message),
        )


def test_failures_that_differ_only_by_their_numbers_count_as_one_message_pattern(
    staff_client, messages
):
    rows = _stats(staff_client, group_by="exc_type,exc_pattern", status="FAILURE")
    assert {(row["exc_type"], row["exc_pattern"]): row["count"] for row in rows} == {
        ("LookupError", "Order # not found"): 2,
        ("ConnectionError", "connect to # refused"): 3,
        ("ConnectionError", "DNS lookup failed"): 1,
    }
    (first,) = (row for row in rows if row["exc_pattern"] == "connect to # refused")
    assert (first["first_seen"], first["last_seen"]) == (
        "2026-11-24T10:04:00Z",
        "2026-11-24T10:06:00Z",
    )


def test_the_task_list_filters_by_message_pattern(staff_client, messages):
    response = staff_client.get(
        tasks_url(
            exc_type="ConnectionError", exc_pattern="connect to # refused", ordering="task_id"
        )
    )
    assert task_ids(response) == ["m2", "m3", "m4"]


def test_a_message_pattern_keeps_the_first_line_cut_at_120_characters(staff_client, make_task):
    _dated(make_task, 0, status="FAILURE", result=failure("ValueError", "bad row 7\nrow: {...}"))
    _dated(make_task, 1, status="FAILURE", result=failure("ValueError", "x" * 300))
    rows = _stats(staff_client, group_by="exc_pattern")
    assert sorted(row["exc_pattern"] for row in rows) == ["bad row #", "x" * 120]


# Messages as Celery's JSON may hold them, and what the pattern of each is.
ODD_MESSAGES = {
    "café 3 fois": "café # fois",  # stored as caf\u00e9: decoded before folding
    'said "no" twice': 'said "no" twice',
    "back\\slash 9": "back\\slash #",
    "tab\there": "tab\there",
    "emoji 🎉 7": "emoji 🎉 #",
    "nul\x00byte": None,  # a \u0000 PostgreSQL cannot decode: no pattern, no error
    "first line\nthen a nul\x00": None,  # wherever it is
    "": "",
}


@pytest.mark.parametrize("message", ODD_MESSAGES, ids=range(len(ODD_MESSAGES)))
def test_every_database_reads_the_pattern_of_any_stored_message_alike(
    staff_client, make_task, message
):
    from results_api.failures import message_pattern

    _dated(make_task, 0, status="FAILURE", result=failure("ValueError", message))
    (row,) = _stats(staff_client, group_by="exc_pattern")
    expected = ODD_MESSAGES[message]
    assert row["exc_pattern"] == expected
    if expected is not None:
        assert message_pattern(failure("ValueError", message)) == expected


@pytest.mark.parametrize(
    "result",
    [
        json.dumps({"exc_type": "ValueError", "exc_message": []}),
        json.dumps({"exc_type": "ValueError", "exc_message": [42, "late"]}),
        json.dumps({"exc_type": "ValueError", "exc_message": {"order": 1}}),
        json.dumps({"exc_type": "ValueError", "exc_message": ["\ud800 lone"]}),
        '{"exc_type": "ValueError", "exc_message": ["not closed',
        "not json at all",
    ],
    ids=["no-arguments", "number-first", "mapping", "lone-surrogate", "cut-short", "not-json"],
)
def test_a_message_that_is_not_a_string_has_no_pattern(staff_client, make_task, result):
    _dated(make_task, 0, status="FAILURE", result=result)
    (row,) = _stats(staff_client, group_by="exc_pattern")
    assert (row["exc_pattern"], row["count"]) == (None, 1)


def test_hiding_the_result_hides_its_message_pattern(staff_client, settings, messages):
    settings.RESULTS_API = {**getattr(settings, "RESULTS_API", {}), "EXCLUDE_FIELDS": ["result"]}
    assert staff_client.get(stats_url(group_by="exc_pattern")).status_code == 400
    response = staff_client.get(tasks_url(exc_pattern="Order # not found"))
    assert response.status_code == 400 and "exc_pattern" in response.json()
