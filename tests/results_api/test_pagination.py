"""Keyset cursor pagination: page sizes, links both ways, and stability under inserts."""

from __future__ import annotations

import base64
import json

import pytest

from .conftest import groups_url, task_ids, tasks_url


def _walk(client, url: str, link: str = "next") -> list[list[str]]:
    """Return the task ids of every page from ``url`` following ``link``."""
    pages = []
    while url:
        response = client.get(url)
        pages.append(task_ids(response))
        url = response.json()[link]
    return pages


def test_list_is_paginated_with_next_and_previous_links(staff_client, make_task, settings):
    settings.RESULTS_API = {"PAGE_SIZE": 2}
    for _ in range(3):
        make_task()
    body = staff_client.get(tasks_url()).json()
    assert set(body) == {"next", "previous", "results"}
    assert len(body["results"]) == 2
    assert body["previous"] is None
    assert "cursor=" in body["next"]


def test_page_size_parameter_sets_the_page_size(staff_client, make_task):
    for _ in range(5):
        make_task()
    assert len(task_ids(staff_client.get(tasks_url(page_size=3)))) == 3


def test_page_size_up_to_the_maximum_is_accepted(staff_client, make_task, settings):
    settings.RESULTS_API = {"MAX_PAGE_SIZE": 4}
    make_task()
    assert staff_client.get(tasks_url(page_size=4)).status_code == 200
    response = staff_client.get(tasks_url(page_size=5))
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_default_order_is_newest_first(staff_client, make_task):
    for index in range(3):
        make_task(task_id=f"t{index}")
    assert task_ids(staff_client.get(tasks_url())) == ["t2", "t1", "t0"]


def test_pages_cover_every_row_once(staff_client, make_task):
    for index in range(11):
        make_task(task_id=f"t{index:02}")
    pages = _walk(staff_client, tasks_url(page_size=3))
    assert [len(page) for page in pages] == [3, 3, 3, 2]
    assert [row for page in pages for row in page] == [f"t{i:02}" for i in reversed(range(11))]


def test_previous_links_walk_back_through_the_same_pages(staff_client, make_task):
    for index in range(8):
        make_task(task_id=f"t{index}")
    url, forward = tasks_url(page_size=3), []
    while url:
        body = staff_client.get(url).json()
        forward.append([row["task_id"] for row in body["results"]])
        last, url = body, body["next"]
    backward = _walk(staff_client, last["previous"], link="previous")
    assert backward == forward[-2::-1]


def test_rows_arriving_during_pagination_are_neither_repeated_nor_lost(staff_client, make_task):
    original = {make_task().task_id for _ in range(25)}
    seen, url = [], tasks_url(page_size=7)
    while url:
        body = staff_client.get(url).json()
        seen += [row["task_id"] for row in body["results"]]
        for _ in range(3):
            make_task()  # newer rows land before the cursor
        url = body["next"]
    assert len(seen) == len(set(seen)) == 25
    assert set(seen) == original


@pytest.mark.parametrize("ordering", ["status", "-worker", "date_started", "task_name,-status"])
def test_pages_cover_every_row_once_with_nullable_and_repeated_keys(
    staff_client, make_task, ordering
):
    statuses = ["SUCCESS", "FAILURE", "STARTED"]
    for index in range(20):
        make_task(
            task_id=f"t{index:02}",
            status=statuses[index % 3],
            worker=None if index % 4 == 0 else f"w{index % 2}",
            task_name=f"name{index % 5}",
        )
    pages = _walk(staff_client, tasks_url(page_size=3, ordering=ordering))
    seen = [row for page in pages for row in page]
    assert sorted(seen) == [f"t{index:02}" for index in range(20)]
    assert seen == task_ids(staff_client.get(tasks_url(page_size=50, ordering=ordering)))


def test_rows_arriving_during_pagination_by_status_are_neither_repeated_nor_lost(
    staff_client, make_task
):
    original = {make_task(status=("SUCCESS", "FAILURE")[i % 2]).task_id for i in range(20)}
    seen, url = [], tasks_url(page_size=6, ordering="status")
    while url:
        body = staff_client.get(url).json()
        seen += [row["task_id"] for row in body["results"]]
        make_task(status="FAILURE")
        make_task(status="SUCCESS")
        url = body["next"]
    assert len(seen) == len(set(seen))
    assert original <= set(seen)


def test_cursor_of_another_ordering_is_400(staff_client, make_task):
    for _ in range(3):
        make_task()
    next_url = staff_client.get(tasks_url(page_size=1)).json()["next"]
    response = staff_client.get(next_url + "&ordering=status")
    assert response.status_code == 400
    assert "cursor" in response.json()


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(json.dumps({"o": ["-date_created", "-pk"]}).encode()).decode(),
        base64.urlsafe_b64encode(
            json.dumps({"o": ["-date_created", "-pk"], "v": ["yesterday", 1], "r": 0}).encode()
        ).decode(),
        base64.urlsafe_b64encode(
            json.dumps({"o": ["-date_created", "-pk"], "v": [None], "r": 0}).encode()
        ).decode(),
    ],
    ids=["not-base64", "not-json", "no-values", "bad-date", "too-few-values"],
)
def test_tampered_cursor_is_400_naming_cursor(staff_client, make_task, cursor):
    make_task()
    response = staff_client.get(tasks_url(cursor=cursor))
    assert response.status_code == 400
    assert "cursor" in response.json()


def _crafted(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


DATE = "2024-01-01T00:00:00+00:00"
CRAFTED_CURSORS = {
    "overflowing-float-key": f'{{"o":["-date_created","-pk"],"v":["{DATE}",1e999],"r":0}}',
    "overflowing-direction": f'{{"o":["-date_created","-pk"],"v":["{DATE}",1],"r":1e999}}',
    "direction-not-0-or-1": f'{{"o":["-date_created","-pk"],"v":["{DATE}",1],"r":"yes"}}',
    "thousands-of-digits": f'{{"o":["-date_created","-pk"],"v":["{DATE}",{"9" * 5000}],"r":0}}',
    "deep-nesting": '{"o":["-date_created","-pk"],"v":' + "[" * 100_000 + "]" * 100_000 + "}",
    "deep-nesting-value": f'{{"o":["-date_created","-pk"],"v":["{DATE}",[[[[1]]]]],"r":0}}',
    "lone-surrogate-key": '{"o":["task_id","pk"],"v":["\\ud800",1],"r":0}',
    "lone-surrogate-ordering": '{"o":["\\udfff"],"v":["a"],"r":0}',
}


@pytest.mark.parametrize("text", CRAFTED_CURSORS.values(), ids=CRAFTED_CURSORS.keys())
def test_a_crafted_cursor_is_a_400_naming_it(staff_client, make_task, text):
    make_task(task_id="a")
    ordering = "task_id" if '"task_id"' in text else "-date_created"
    staff_client.raise_request_exception = False

    response = staff_client.get(tasks_url(cursor=_crafted(text), ordering=ordering))

    assert response.status_code == 400, response.content[:300]
    assert set(response.json()) == {"cursor"}


def test_groups_are_paginated_too(staff_client, make_group):
    for index in range(5):
        make_group(group_id=f"g{index}")
    url, seen = groups_url(page_size=2), []
    while url:
        body = staff_client.get(url).json()
        seen += [row["group_id"] for row in body["results"]]
        url = body["next"]
    assert seen == ["g4", "g3", "g2", "g1", "g0"]
