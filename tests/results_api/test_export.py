"""tasks/export/: the whole filtered set as CSV, streamed in bounded memory."""

from __future__ import annotations

import csv
import io
import itertools
import json
import pickle
import time
import tracemalloc

import pytest
from django.db import connection
from django.utils import timezone

from django_celery_results.models import get_task_result_model
from results_api.rest.export import FORMULA_STARTS, csv_cell

from .conftest import csv_rows, export_url

TRACEBACK = "Traceback (most recent call last):\n  File 'x'\nValueError: bad"


def insert_tasks(count: int) -> None:
    """Insert ``count`` task rows of the active model fast (one prepared INSERT, many rows)."""
    model = get_task_result_model()
    now = timezone.now()
    template = model(
        task_name="app.tasks.build_report",
        worker="celery@worker-1",
        content_type="application/json",
        content_encoding="utf-8",
        task_kwargs=json.dumps("{'tenant_id': 3, 'password': 'hunter2'}"),
        date_created=now,
        date_started=now,
        date_done=now,
    )
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    base = {f.attname: f.get_db_prep_save(getattr(template, f.attname), connection) for f in fields}
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )

    def row(number: int) -> tuple:
        failed = number % 10 == 0
        values = {
            **base,
            "task_id": f"task-{number:06d}",
            "status": "FAILURE" if failed else "SUCCESS",
            "task_args": json.dumps(f"({number}, 'pdf')"),
            "result": json.dumps({"rows": number, "status": "ok"}),
            "traceback": TRACEBACK if failed else None,
        }
        return tuple(values[field.attname] for field in fields)

    numbers = iter(range(count))
    with connection.cursor() as cursor:
        while batch := [row(number) for number in itertools.islice(numbers, 5000)]:
            cursor.executemany(sql, batch)


def test_export_streams_every_row_not_one_page(staff_client, make_task, settings):
    settings.RESULTS_API = {"PAGE_SIZE": 5}
    for number in range(12):
        make_task(task_id=f"t-{number:02d}")
    response = staff_client.get(export_url())
    assert response.streaming
    assert len(csv_rows(response)) == 12


def test_export_takes_the_lists_filters_and_ordering(staff_client, make_task):
    make_task(task_id="b", status="FAILURE")
    make_task(task_id="a", status="FAILURE")
    make_task(task_id="c", status="SUCCESS")
    rows = csv_rows(staff_client.get(export_url(status="FAILURE", ordering="task_id")))
    assert [row["task_id"] for row in rows] == ["a", "b"]


def test_export_with_updated_since_is_ordered_by_date_done(staff_client, make_task):
    first, second = make_task(task_id="z"), make_task(task_id="y")
    rows = csv_rows(staff_client.get(export_url(updated_since="2000-01-01T00:00:00Z")))
    assert [row["task_id"] for row in rows] == [first.task_id, second.task_id]


def test_export_goes_through_the_scope_hook(make_task, settings, db):
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.own_ids_only"
    alice = get_user_model().objects.create_user("alice", is_staff=True)
    make_task(task_id="alice-1")
    make_task(task_id="bob-1")
    client = APIClient()
    client.force_authenticate(alice)
    assert [row["task_id"] for row in csv_rows(client.get(export_url()))] == ["alice-1"]


def test_export_needs_the_read_permission(anonymous_client, make_task):
    make_task()
    assert anonymous_client.get(export_url()).status_code in (401, 403)


def test_export_columns_are_the_task_fields(staff_client, make_task):
    make_task(task_id="t-1")
    text = b"".join(staff_client.get(export_url()).streaming_content).decode()
    header = next(csv.reader(io.StringIO(text)))
    assert header[:3] == ["task_id", "task_name", "status"]
    assert {"runtime", "args", "kwargs", "result", "traceback", "meta", "content_type"} <= set(
        header
    )


@pytest.mark.swapped
def test_export_has_a_column_per_extra_field(staff_client, make_task, tenants):
    make_task(task_id="t-1", tenant=tenants[1], priority="high", attempt=2)
    (row,) = csv_rows(staff_client.get(export_url()))
    assert (row["tenant"], row["priority"], row["attempt"]) == (str(tenants[1].pk), "high", "2")


def test_export_leaves_out_excluded_fields(staff_client, make_task, settings):
    settings.RESULTS_API = {"EXCLUDE_FIELDS": ["traceback", "args"]}
    make_task()
    (row,) = csv_rows(staff_client.get(export_url()))
    assert not {"traceback", "args"} & set(row)


def test_export_writes_json_content_as_json_and_nulls_as_empty(staff_client, make_task):
    make_task(task_id="t-1", result=json.dumps({"rows": [1, 2]}), meta=None, worker=None)
    (row,) = csv_rows(staff_client.get(export_url()))
    assert json.loads(row["result"]) == {"rows": [1, 2]}
    assert (row["meta"], row["worker"], row["runtime"]) == ("", "", "")


def test_export_never_decodes_pickle(staff_client, make_task, monkeypatch, settings):
    settings.RESULTS_API = {"THROTTLE_CLASSES": []}  # the throttles' cache pickles its counts
    payload = "gASVAA=="
    make_task(
        task_id="t-1",
        content_type="application/x-python-serialize",
        content_encoding="binary",
        result=payload,
        meta=payload,
        task_args=payload,
        task_kwargs=payload,
    )
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    (row,) = csv_rows(staff_client.get(export_url()))
    assert [row[name] for name in ("args", "kwargs", "result", "meta")] == [""] * 4
    assert row["content_type"] == "application/x-python-serialize"


@pytest.mark.parametrize("prefix", [*FORMULA_STARTS, "\t", "\r"])
def test_text_a_spreadsheet_would_run_as_a_formula_is_quoted(prefix):
    assert csv_cell(f"{prefix}HYPERLINK(1)") == f"'{prefix}HYPERLINK(1)"


@pytest.mark.parametrize(
    "invisible",
    [" ", "\u00a0", "\u3000", "\u200b", "\ufeff", "\n", " \u200b\u00a0"],
    ids=["space", "no-break space", "ideographic space", "zero-width space", "BOM", "LF", "mixed"],
)
@pytest.mark.parametrize("start", ["=", "+", "-", "@", "|"])
def test_a_formula_behind_leading_spaces_or_invisible_characters_is_quoted(invisible, start):
    text = f"{invisible}{start}cmd|' /C calc'!A0"
    assert csv_cell(text) == "'" + text


def test_a_formula_behind_invisible_characters_after_a_separator_is_quoted():
    assert csv_cell("x;\u200b=1+1") == "x;\u200b'=1+1"


def test_text_with_leading_spaces_and_no_formula_is_left_as_it_is():
    assert csv_cell("  plain text") == "  plain text"


@pytest.mark.parametrize("separator", [";", ",", "; ", ",\t"])
@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_a_formula_start_after_a_separator_inside_a_cell_is_quoted(separator, start):
    assert csv_cell(f"x{separator}{start}1+1") == f"x{separator}'{start}1+1"


def test_a_formula_start_after_a_semicolon_inside_a_json_cell_is_quoted():
    assert csv_cell({"note": "x;=1+1"}) == '{"note":"x;\'=1+1"}'
    assert csv_cell([1, -2]) == "[1,-2]"  # a comma of the JSON itself, in a quoted cell


def test_numbers_stay_numbers():
    assert (csv_cell(-1.5), csv_cell(3), csv_cell(True), csv_cell(None)) == (-1.5, 3, "true", "")


def test_export_is_a_csv_attachment(staff_client, make_task):
    make_task()
    response = staff_client.get(export_url())
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="taskresult-')
    assert "ETag" not in response


def test_export_answers_accept_text_csv(staff_client, make_task):
    make_task()
    assert len(csv_rows(staff_client.get(export_url(), HTTP_ACCEPT="text/csv"))) == 1


def test_export_refuses_page_parameters(staff_client):
    response = staff_client.get(export_url(page_size=10))
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_export_errors_are_csv_when_csv_is_asked_for(staff_client):
    response = staff_client.get(export_url(status="BOGUS"), HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[1].startswith("status,")


# What bounds the memory is how each database's cursor is read, not which model it holds
# (the custom model's rows go through the same export in the other tests): with the
# default model only, on each database.
@pytest.mark.slow
@pytest.mark.default_model
def test_csv_export_of_100000_rows_streams_in_bounded_memory(staff_client):
    count = 100_000
    insert_tasks(count)

    def export() -> tuple[int, int]:
        response = staff_client.get(export_url())
        lines = size = 0
        for chunk in response.streaming_content:
            lines += chunk.count(b"\r\n")  # record ends; tracebacks hold bare \n
            size += len(chunk)
        return lines - 1, size

    started = time.perf_counter()
    rows, size = export()
    seconds = time.perf_counter() - started

    tracemalloc.start()
    try:
        assert export()[0] == count
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        sample = list(get_task_result_model()._default_manager.all()[: count // 20])
        loading_all = (tracemalloc.get_traced_memory()[1] - baseline) * 20
        del sample
    finally:
        tracemalloc.stop()

    print(
        f"\nCSV export of {rows:,} rows ({size / 1e6:.1f} MB) on {connection.vendor}: "
        f"{rows / seconds:,.0f} rows/s ({seconds:.1f} s); peak traced memory "
        f"{peak / 1e6:.1f} MB; loading all rows would take about {loading_all / 1e6:.0f} MB"
    )
    assert rows == count
    assert peak < loading_all / 10
    assert peak < size / 2
