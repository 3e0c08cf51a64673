"""Ordering: any scalar field, extra fields included, with ``-`` for descending."""

from __future__ import annotations

import pytest

from results_api.rest.ordering import task_ordering_fields

from .conftest import task_ids, tasks_url


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
