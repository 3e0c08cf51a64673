"""ETags: an unchanged list, detail or stats answers a 304 to If-None-Match."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from .conftest import group_url, groups_url, stats_url, task_url, tasks_url


@pytest.fixture
def rows(make_task, make_group):
    make_task(task_id="t-1", status="SUCCESS")
    make_task(task_id="t-2", status="FAILURE", traceback="Traceback ...")
    make_group(group_id="g-1")


READS = {
    "list": tasks_url(),
    "detail": task_url("t-1"),
    "stats": stats_url(group_by="status"),
    "groups": groups_url(),
    "group": group_url("g-1"),
}


@pytest.mark.parametrize("url", READS.values(), ids=READS.keys())
def test_a_read_has_an_etag_and_asks_to_be_revalidated(staff_client, rows, url):
    response = staff_client.get(url)
    assert response.status_code == 200
    assert response["ETag"].startswith('"')
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-cache"}


@pytest.mark.parametrize("url", READS.values(), ids=READS.keys())
def test_an_unchanged_read_with_its_etag_is_a_304_without_body(staff_client, rows, url):
    etag = staff_client.get(url)["ETag"]
    response = staff_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_a_weak_etag_matches_too(staff_client, rows):
    etag = staff_client.get(tasks_url())["ETag"]
    assert staff_client.get(tasks_url(), HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304


def test_a_head_request_is_conditional_too(staff_client, rows):
    etag = staff_client.get(task_url("t-1"))["ETag"]
    assert staff_client.head(task_url("t-1"), HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize("url", [tasks_url(), task_url("t-1"), stats_url(group_by="status")])
def test_a_change_gives_a_new_etag_and_a_200(staff_client, rows, url, task_result_model):
    etag = staff_client.get(url)["ETag"]
    task_result_model._default_manager.filter(task_id="t-1").update(status="REVOKED")
    response = staff_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_a_new_row_gives_the_list_a_new_etag(staff_client, rows, make_task):
    etag = staff_client.get(tasks_url())["ETag"]
    make_task(task_id="t-3")
    assert staff_client.get(tasks_url(), HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_users_who_see_different_bodies_get_different_etags(staff_client, rows):
    # the staff user sees no traceback (no view permission); a superuser does
    superuser = APIClient()
    superuser.force_authenticate(get_user_model().objects.create_superuser("root"))
    etag = staff_client.get(task_url("t-2"))["ETag"]
    response = superuser.get(task_url("t-2"), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["traceback"] == "Traceback ..."


def test_errors_have_no_etag(staff_client):
    response = staff_client.get(tasks_url(status="BOGUS"))
    assert response.status_code == 400
    assert "ETag" not in response


def test_a_missing_detail_has_no_etag(staff_client, db):
    response = staff_client.get(task_url("nope"))
    assert response.status_code == 404
    assert "ETag" not in response
