"""Ordering: any scalar field, extra fields included, with ``-`` for descending."""

from __future__ import annotations

import datetime

import pytest

from results_api.rest.ordering import task_ordering_fields

from .conftest import csv_rows, export_url, task_ids, tasks_url


def test_ordering_by_a_standard_field_ascending(staff_client, make_task):
    for name in ("b", "c", "a"):
        make_task(task_id=name, task_name=f"app.{name}")
    assert task_ids(staff_client.get(tasks_url(ordering="task_name"))) == ["a", "b", "c"]


def test_ordering_by_a_standard_field_descending(staff_client, make_task):
    for name in ("b", "c", "a"):
        make_task(task_id=name, task_name=f"app.{name}")
    assert task_ids(staff_client.get(tasks_url(ordering="-task_name"))) == ["c", "b", "a"]


def test_ordering_by_several_fields(staff_client, make_task):
    make_task(task_id="s1", status="SUCCESS", task_name="b")
    make_task(task_id="f1", status="FAILURE", task_name="a")
    make_task(task_id="s2", status="SUCCESS", task_name="a")
    response = staff_client.get(tasks_url(ordering="-status,task_name"))
    assert task_ids(response) == ["s2", "s1", "f1"]


def test_ties_are_broken_by_primary_key(staff_client, make_task):
    for index in range(4):
        make_task(task_id=f"t{index}", status="SUCCESS")
    assert task_ids(staff_client.get(tasks_url(ordering="status"))) == ["t0", "t1", "t2", "t3"]
    assert task_ids(staff_client.get(tasks_url(ordering="-status"))) == ["t3", "t2", "t1", "t0"]


def test_nulls_sort_last_ascending_and_first_descending(staff_client, make_task):
    make_task(task_id="none", worker=None)
    make_task(task_id="w1", worker="w1")
    make_task(task_id="w2", worker="w2")
    assert task_ids(staff_client.get(tasks_url(ordering="worker"))) == ["w1", "w2", "none"]
    assert task_ids(staff_client.get(tasks_url(ordering="-worker"))) == ["none", "w2", "w1"]


def test_ordering_by_extra_fields(staff_client, custom_model, make_task, tenants):
    make_task(task_id="a", tenant=tenants[2], attempt=1)
    make_task(task_id="b", tenant=tenants[0], attempt=3)
    make_task(task_id="c", tenant=tenants[1], attempt=2)
    assert task_ids(staff_client.get(tasks_url(ordering="tenant"))) == ["b", "c", "a"]
    assert task_ids(staff_client.get(tasks_url(ordering="-attempt"))) == ["b", "c", "a"]


def test_ordering_by_a_choices_field(staff_client, custom_model, make_task):
    make_task(task_id="n", priority="normal")
    make_task(task_id="h", priority="high")
    make_task(task_id="l", priority="low")
    assert task_ids(staff_client.get(tasks_url(ordering="priority"))) == ["h", "l", "n"]


def test_ordering_fields_of_the_custom_model(custom_model):
    assert task_ordering_fields(custom_model) == (
        "task_id",
        "task_name",
        "status",
        "worker",
        "periodic_task_name",
        "date_created",
        "date_started",
        "date_done",
        "runtime",
        "wait",
        "tenant",
        "priority",
        "attempt",
    )


@pytest.mark.parametrize("value", ["result", "-meta", "tenant__name", "status,,", "pk", "--status"])
def test_ordering_by_a_non_scalar_or_unknown_field_is_400(staff_client, make_task, value):
    make_task()
    response = staff_client.get(tasks_url(ordering=value))
    assert response.status_code == 400
    assert "ordering" in response.json()


# Ordering by a duration: runtime (finished tasks only) and waiting time


@pytest.fixture
def timed(make_task):
    """Tasks with runtimes of 3, 1, 2, 1 s and none (still running), waits of 0.5 to 2.5 s."""
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    specs = {"r3": 3, "r1a": 1, "r2": 2, "r1b": 1, "running": None}
    for number, (task_id, runtime) in enumerate(specs.items()):
        started = start + datetime.timedelta(seconds=10 * number)
        task = make_task(
            task_id=task_id,
            status="STARTED" if runtime is None else "SUCCESS",
            date_started=started,
        )
        done = started + datetime.timedelta(seconds=runtime or 0.25)
        created = started - datetime.timedelta(seconds=0.5 + 0.5 * number)
        type(task)._default_manager.filter(pk=task.pk).update(date_done=done, date_created=created)
    return specs


def every_page(client, **params) -> list[str]:
    """The task ids of every page, following the next links."""
    found, response = [], client.get(tasks_url(page_size=2, **params))
    while True:
        body = response.json()
        found += [row["task_id"] for row in body["results"]]
        if not body["next"]:
            return found
        response = client.get(body["next"])


def test_the_list_orders_by_runtime_with_unfinished_tasks_last(staff_client, timed):
    ascending = every_page(staff_client, ordering="runtime")
    descending = every_page(staff_client, ordering="-runtime")

    assert ascending[:2] == sorted(["r1a", "r1b"], key=ascending.index)
    assert ascending[2:] == ["r2", "r3", "running"]
    assert descending == ["running", "r3", "r2", *reversed(ascending[:2])]


def test_the_list_orders_by_waiting_time(staff_client, timed):
    assert every_page(staff_client, ordering="-wait") == ["running", "r1b", "r2", "r1a", "r3"]


def test_the_export_follows_an_ordering_by_runtime(staff_client, timed):
    rows = csv_rows(staff_client.get(export_url(ordering="-runtime")))

    assert [row["task_id"] for row in rows][:3] == ["running", "r3", "r2"]
