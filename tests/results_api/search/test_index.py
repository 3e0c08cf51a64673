"""The side table: filled out of band, never stale, rebuilt when the masking rules change."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from django_celery_results.models import get_task_result_model
from results_api.search.index import index_search_text
from results_api.search.models import TaskSearchState, TaskSearchText

from ..conftest import task_ids, tasks_url


def fill(until=None):
    return index_search_text(
        get_task_result_model(), until=until or timezone.now() + datetime.timedelta(seconds=1)
    )


def test_the_fill_reaches_its_until_and_stores_masked_text(make_task):
    task = make_task(task_kwargs=json.dumps("{'password': 'hunter2', 'user': 'ann'}"))
    until = timezone.now() + datetime.timedelta(seconds=1)
    assert fill(until) == until
    text = TaskSearchText.objects.get(task_pk=task.pk).text
    assert "kwargs.user=ann" in text and "hunter2" not in text


def test_the_fill_leaves_the_last_lag_seconds_to_live_matching(make_task, settings):
    settings.RESULTS_API = {"SEARCH_INDEX_LAG": 60}
    make_task()
    head = index_search_text(get_task_result_model())
    assert head is not None and head <= timezone.now() - datetime.timedelta(seconds=59)
    assert TaskSearchText.objects.count() == 0  # written just now: within the lag


def test_a_row_written_after_the_fill_is_found_at_once(staff_client, make_task):
    fill(timezone.now())
    make_task(task_id="t-new", result=json.dumps("fresh needle"))
    assert task_ids(staff_client.get(tasks_url(search="needle"))) == ["t-new"]


def test_a_row_changed_after_the_fill_is_matched_by_its_new_content(staff_client, make_task):
    task = make_task(task_id="t-changing", result=json.dumps("old words"))
    fill(timezone.now() + datetime.timedelta(milliseconds=1))
    task.result = json.dumps("new words")
    task.save()  # a later state: a later date_done
    assert task_ids(staff_client.get(tasks_url(search="old words"))) == []
    assert task_ids(staff_client.get(tasks_url(search="new words"))) == ["t-changing"]


def test_a_change_of_the_masking_rules_is_never_answered_from_the_old_text(
    staff_client, make_task, settings
):
    make_task(task_id="t-pin", task_kwargs=json.dumps("{'pin': '4711', 'user': 'ann'}"))
    fill()
    assert task_ids(staff_client.get(tasks_url(search="4711"))) == ["t-pin"]
    settings.CELERY_RESULTS_REDACT_KEYS = ["pin"]
    assert task_ids(staff_client.get(tasks_url(search="4711"))) == []
    fill()  # rebuilt with the new rules
    assert "4711" not in TaskSearchText.objects.get().text
    assert task_ids(staff_client.get(tasks_url(search="ann"))) == ["t-pin"]


def test_a_page_holds_the_indexed_and_the_live_matches_in_order(staff_client, make_task):
    for number in range(3):
        make_task(task_id=f"t-old-{number}", result=json.dumps("needle"))
    make_task(task_id="t-old-other", result=json.dumps("hay"))
    fill(timezone.now())
    for number in range(2):
        make_task(task_id=f"t-new-{number}", result=json.dumps("needle"))
    make_task(task_id="t-new-other", result=json.dumps("hay"))
    seen, url = [], tasks_url(search="needle", page_size=2)
    while url:
        response = staff_client.get(url)
        seen += task_ids(response)
        url = response.json()["next"]
    assert seen == ["t-new-1", "t-new-0", "t-old-2", "t-old-1", "t-old-0"]


def test_more_unindexed_rows_than_the_scan_limit_is_a_503(staff_client, make_task, settings):
    settings.RESULTS_API = {"SEARCH_SCAN_LIMIT": 1}
    make_task(result=json.dumps("abc"))
    make_task(result=json.dumps("abc"))
    response = staff_client.get(tasks_url(search="abc"))
    assert response.status_code == 503
    assert "index_task_search" in response.json()["detail"]
    fill()
    assert staff_client.get(tasks_url(search="abc")).status_code == 200


def test_the_command_fills_and_rebuilds(make_task, capsys):
    make_task()
    call_command("index_task_search", until=(timezone.now() + datetime.timedelta(1)).isoformat())
    assert TaskSearchText.objects.count() == 1
    call_command("index_task_search", "--rebuild")
    assert "search indexed until" in capsys.readouterr().out
    assert TaskSearchState.objects.count() == 1


@pytest.mark.postgres
def test_postgresql_never_scans_the_side_table_in_parallel(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = %s", [TaskSearchText._meta.db_table]
        )
        (options,) = cursor.fetchone()
    assert "parallel_workers=0" in options
