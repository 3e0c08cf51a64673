"""Every stored task is reachable: each listed task carries a ``url`` no task id collides with."""

from __future__ import annotations

import pytest
from django.urls import reverse

from results_api.rest.serializers import LIST_ROUTES
from results_api.rest.views import TaskResultViewSet

from .conftest import task_url, tasks_url

pytestmark = pytest.mark.django_db

ODD_IDS = ["stats", "export", "metadata", "bulk", "a/b", "100%", "50%25", "a b", "ünï", ".", ".."]


def listed_urls(client) -> dict[str, str]:
    response = client.get(tasks_url())
    assert response.status_code == 200
    return {row["task_id"]: row["url"] for row in response.json()["results"]}


@pytest.mark.parametrize("task_id", ODD_IDS)
def test_a_listed_tasks_url_opens_its_detail_whatever_its_id(staff_client, make_task, task_id):
    make_task(task_id=task_id)

    url = listed_urls(staff_client)[task_id]
    response = staff_client.get(url)

    assert response.status_code == 200, (url, response.content)
    assert response.json()["task_id"] == task_id
    assert response.json()["url"] == url


def test_an_ordinary_ids_url_is_the_one_it_always_had(staff_client, make_task):
    make_task(task_id="d3b07384-d9a7-4c3b-9a8e-2f4c1c9e2b1a")

    url = listed_urls(staff_client)["d3b07384-d9a7-4c3b-9a8e-2f4c1c9e2b1a"]

    assert url == "http://testserver" + task_url("d3b07384-d9a7-4c3b-9a8e-2f4c1c9e2b1a")


def test_the_collection_routes_still_answer_beside_a_task_of_the_same_name(staff_client, make_task):
    make_task(task_id="stats")

    response = staff_client.get(tasks_url() + "stats/")

    assert response.status_code == 200 and "results" in response.json()


@pytest.mark.parametrize("task_id", ["stats", "a b", "50%25"])
def test_revoke_reaches_a_task_through_its_url(staff_client, make_task, settings, task_id):
    from unittest import mock

    app = mock.Mock(name="celery_app")
    settings.RESULTS_API = {"REVOKE_ENABLED": True, "CELERY_APP": app}
    make_task(task_id=task_id, status="STARTED")

    response = staff_client.post(listed_urls(staff_client)[task_id] + "revoke/")

    assert response.status_code == 202, response.content
    app.control.revoke.assert_called_once_with(task_id, terminate=False)


def test_the_browsable_apis_action_links_keep_an_escaped_id(staff_client, make_task, settings):
    settings.RESULTS_API = {"REVOKE_ENABLED": True}
    make_task(task_id="50%25", status="STARTED")
    url = listed_urls(staff_client)["50%25"]

    page = staff_client.get(url, HTTP_ACCEPT="text/html").content.decode()

    assert url.removeprefix("http://testserver") + "revoke/" in page


@pytest.mark.parametrize("segment", ["%2500", "a%2500b"])
def test_an_escaped_nul_in_an_id_is_a_404(staff_client, admin_client, segment):
    assert staff_client.get(f"{tasks_url()}{segment}/").status_code == 404
    assert admin_client.get(f"/celery/task/status/{segment}/").status_code == 404


def test_every_collection_route_of_the_task_viewset_is_escaped_in_urls():
    # A route's first segment (tasks/bulk/<action>/ is a family under "bulk").
    routes = {
        action.url_path.split("/")[0]
        for action in TaskResultViewSet.get_extra_actions()
        if not action.detail
    }
    assert routes <= LIST_ROUTES


@pytest.mark.parametrize("task_id", ["a b", "a/b", "100%", "x:y", ".", "stats"])
def test_the_status_views_reach_any_task_id(admin_client, make_task, task_id):
    make_task(task_id=task_id, status="SUCCESS")

    url = reverse("celery-task_status", args=[task_id])
    response = admin_client.get(url)

    assert response.status_code == 200, (url, response.content)
    assert response.json()["task"]["id"] == task_id
