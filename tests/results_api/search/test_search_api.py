"""``?search=`` on tasks/, tasks/stats/ and tasks/export/: what it finds, with what it combines."""

from __future__ import annotations

import json

import pytest

from django_celery_results.models import get_task_result_model
from results_api.search.text import COLUMNS, row_lines, shown_lines

from ..conftest import csv_rows, export_url, stats_url, task_ids, tasks_url

FAILURE = json.dumps({"exc_type": "ValueError", "exc_message": ["Order 77 has no lines"]})


@pytest.fixture
def shop(make_task):
    """Three tasks: an order with a customer's e-mail, a failed order, a report."""
    return [
        make_task(
            task_id="t-order",
            task_name="shop.tasks.charge",
            task_args=json.dumps("(4411, 'EUR')"),
            task_kwargs=json.dumps("{'order_id': 4411, 'email': 'Ann@Example.com'}"),
            result=json.dumps({"charged": True, "receipt": "R-123456"}),
        ),
        make_task(
            task_id="t-failed",
            task_name="shop.tasks.ship",
            status="FAILURE",
            task_kwargs=json.dumps("{'order_id': 77}"),
            result=FAILURE,
            traceback="Traceback (most recent call last):\nValueError: Order 77 has no lines",
        ),
        make_task(
            task_id="t-report",
            task_name="shop.tasks.report",
            result=json.dumps("sent to ann@example.com"),
            meta=json.dumps({"children": [], "mailbox": "reports"}),
        ),
    ]


def search(client, query, **params):
    return task_ids(client.get(tasks_url(search=query, **params)))


def test_a_term_in_the_keyword_arguments_finds_the_task(staff_client, shop, matched):
    matched()
    assert search(staff_client, "Example.com") == ["t-report", "t-order"]


def test_case_is_ignored(staff_client, shop, matched):
    matched()
    assert search(staff_client, "r-123456") == ["t-order"]


def test_positional_arguments_meta_and_result_are_searched(staff_client, shop, matched):
    matched()
    assert search(staff_client, "EUR") == ["t-order"]
    assert search(staff_client, "reports") == ["t-report"]
    assert search(staff_client, "receipt") == ["t-order"]


def test_the_exception_type_and_message_of_a_failure_are_searched(staff_client, shop, matched):
    matched()
    assert search(staff_client, "valueerror") == ["t-failed"]
    assert search(staff_client, '"has no lines"') == ["t-failed"]


def test_task_names_and_ids_are_searched(staff_client, shop, matched):
    matched()
    assert search(staff_client, "tasks.ship") == ["t-failed"]
    assert search(staff_client, "t-report") == ["t-report"]


def test_every_term_must_match(staff_client, shop, matched):
    matched()
    assert search(staff_client, "ann@example.com sent") == ["t-report"]


def test_a_phrase_matches_only_its_words_together(staff_client, shop, matched):
    matched()
    assert search(staff_client, '"77 has"') == ["t-failed"]
    assert search(staff_client, '"has 77"') == []


def test_a_targeted_term_matches_that_keys_value_exactly(staff_client, shop, matched):
    matched()
    assert search(staff_client, "kwargs.order_id:77") == ["t-failed"]
    assert search(staff_client, "kwargs.order_id:7") == []
    assert search(staff_client, "result.exc_type:valueerror") == ["t-failed"]
    assert search(staff_client, "result.charged:true") == ["t-order"]


def test_a_targeted_term_looks_through_lists(staff_client, shop, matched):
    matched()
    assert search(staff_client, '"result.exc_message:Order 77 has no lines"') == []
    assert search(staff_client, 'result.exc_message:"Order 77 has no lines"') == ["t-failed"]


def test_percent_underscore_and_backslash_match_themselves(staff_client, make_task, matched):
    make_task(task_id="t-like", result=json.dumps("100% done_ok C:\\tmp"))
    make_task(task_id="t-other", result=json.dumps("1000 doneXok C:tmp"))
    matched()
    assert search(staff_client, '"0% d"') == ["t-like"]
    assert search(staff_client, "e_o") == ["t-like"]
    assert search(staff_client, "c:\\tmp") == ["t-like"]


def test_a_number_is_found_inside_a_longer_one(staff_client, shop, matched):
    matched()
    assert search(staff_client, "2345") == ["t-order"]
    assert search(staff_client, "r-1234") == ["t-order"]


def test_a_number_longer_than_the_indexed_pieces_is_found_whole_only(
    staff_client, make_task, matched
):
    make_task(task_id="t-long", result=json.dumps({"invoice": "INV-20261205123456"}))
    make_task(task_id="t-near", result=json.dumps({"invoice": "INV-20261205999999"}))
    matched()
    # Its first 8 digits are in both rows; the whole number in one.
    assert search(staff_client, "2026120512") == ["t-long"]
    assert search(staff_client, "20261205") == ["t-near", "t-long"]


def test_a_number_inside_a_very_long_run_of_digits_is_found(staff_client, make_task, matched):
    make_task(task_id="t-digits", result=json.dumps("7" * 20 + "123456789" + "7" * 20))
    make_task(task_id="t-other", result=json.dumps("7" * 49))
    matched()
    assert search(staff_client, "77123456789") == ["t-digits"]


def test_a_term_too_short_is_a_400_naming_search(staff_client, shop):
    response = staff_client.get(tasks_url(search="ab"))
    assert response.status_code == 400
    assert "3 characters" in response.json()["search"][0]


def test_a_search_holding_a_nul_character_is_a_400_naming_search(staff_client, shop, matched):
    matched()  # indexed: PostgreSQL would refuse the character in the query
    response = staff_client.get(tasks_url(search="ord\x00er"))
    assert response.status_code == 400
    assert response.json() == {"search": ["Null characters are not allowed."]}


def test_a_refused_term_with_a_percent_sign_is_quoted_in_the_400(staff_client, shop):
    response = staff_client.get(tasks_url(search="5%"))
    assert response.status_code == 400
    assert "'5%'" in response.json()["search"][0]


def test_an_empty_search_filters_nothing(staff_client, shop):
    assert len(search(staff_client, "")) == 3


def test_search_combines_with_the_other_filters(staff_client, shop, matched):
    matched()
    assert search(staff_client, "order_id", status="FAILURE") == ["t-failed"]
    assert search(staff_client, "order_id", task_name="shop.tasks.charge") == ["t-order"]


def test_search_goes_through_the_scope_hook(staff_client, make_task, settings, matched):
    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.own_ids_only"
    make_task(task_id="staff-1", result=json.dumps("needle"))
    make_task(task_id="other-1", result=json.dumps("needle"))
    matched()
    assert search(staff_client, "needle") == ["staff-1"]


def test_each_listed_task_says_which_line_matched(staff_client, shop, matched):
    matched()
    rows = staff_client.get(tasks_url(search="kwargs.order_id:77")).json()["results"]
    assert rows[0]["search_excerpt"] == "kwargs.order_id=77"


def test_the_lines_an_excerpt_is_read_from_are_the_stored_rows_lines(
    staff_client, shop, make_task, settings
):
    settings.CELERY_RESULTS_REDACT_KEYS = ["email"]
    make_task(task_id="t-list", task_args=json.dumps([1, {"email": "x@y.z", "n": [2, 3]}]))
    make_task(task_id="t-cut", task_args=json.dumps("(1, 'abc..."))  # a repr cut short
    make_task(task_id="t-pickle", content_type="application/x-python-serialize", result="gAR=")
    model = get_task_result_model()
    rows = {row.task_id: row for row in model._default_manager.all()}

    for item in staff_client.get(tasks_url(page_size=50)).json()["results"]:
        stored = [getattr(rows[item["task_id"]], column) for column in COLUMNS]
        assert list(shown_lines(item)) == row_lines(model, stored), item["task_id"]


def test_no_excerpt_without_a_search(staff_client, shop):
    rows = staff_client.get(tasks_url()).json()["results"]
    assert all("search_excerpt" not in row for row in rows)


def test_stats_count_only_the_matching_tasks(staff_client, shop, matched):
    matched()
    response = staff_client.get(stats_url(search="order_id", group_by="status"))
    assert response.status_code == 200, response.content
    counts = {row["status"]: row["count"] for row in response.json()["results"]}
    assert counts == {"FAILURE": 1, "SUCCESS": 1}


def test_the_export_holds_only_the_matching_tasks(staff_client, shop, matched):
    matched()
    rows = csv_rows(staff_client.get(export_url(search="example.com", format="csv")))
    assert sorted(row["task_id"] for row in rows) == ["t-order", "t-report"]


def test_content_that_is_not_json_is_never_searched(staff_client, make_task, matched):
    make_task(task_id="t-pickle", content_type="application/x-python-serialize", result="needle")
    matched()
    assert search(staff_client, "needle") == []


def test_a_hidden_field_is_not_searched(staff_client, shop, settings, matched):
    settings.RESULTS_API = {"EXCLUDE_FIELDS": ["kwargs"]}
    matched()
    assert search(staff_client, "order_id") == []
    assert search(staff_client, "valueerror") == ["t-failed"]
