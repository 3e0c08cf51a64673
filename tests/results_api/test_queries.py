"""Query counts: a page costs the same number of queries whatever its size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import groups_url, task_ids, tasks_url


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries.captured_queries)


@pytest.fixture
def many_tasks(custom_model, make_task, tenants):
    for index in range(201):
        make_task(tenant=tenants[index % 3], attempt=index % 4)


def test_page_of_5_and_page_of_200_issue_the_same_queries(staff_client, many_tasks):
    small = _count_queries(staff_client, tasks_url(page_size=5))
    large = _count_queries(staff_client, tasks_url(page_size=200))
    assert small == large == 1


def test_later_page_issues_the_same_queries_as_the_first(staff_client, many_tasks):
    first = staff_client.get(tasks_url(page_size=200))
    assert len(task_ids(first)) == 200
    assert _count_queries(staff_client, first.json()["next"]) == 1


def test_filtered_and_ordered_page_is_one_query(staff_client, many_tasks, tenants):
    url = tasks_url(
        page_size=200, tenant__in=f"{tenants[0].pk},{tenants[1].pk}", ordering="-tenant"
    )
    assert _count_queries(staff_client, url) == 1


def test_detail_is_one_query(staff_client, custom_model, make_task, tenants):
    make_task(task_id="t-1", tenant=tenants[0])
    assert _count_queries(staff_client, "/api/results/tasks/t-1/") == 1


def test_a_detail_is_read_by_its_id_alone_without_ordering(
    staff_client, custom_model, make_task, tenants
):
    make_task(task_id="t-1", tenant=tenants[0])
    with CaptureQueriesContext(connection) as queries:
        assert staff_client.get("/api/results/tasks/t-1/").status_code == 200
    (query,) = queries.captured_queries
    assert "ORDER BY" not in query["sql"].upper()


def test_group_page_of_5_and_of_200_issue_the_same_queries(staff_client, make_group):
    for _ in range(201):
        make_group()
    small = _count_queries(staff_client, groups_url(page_size=5))
    large = _count_queries(staff_client, groups_url(page_size=200))
    assert small == large == 1
