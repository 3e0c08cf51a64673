"""A group's tasks, a page at a time in the group's order: groups of any size load."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from django_celery_results.models import get_task_result_model

from .conftest import _with_query

pytestmark = pytest.mark.django_db

SIZE = 10_000


def members_url(group_id: str, **params) -> str:
    return _with_query(reverse("results_api:group-tasks", args=[group_id]), params)


def group_of(make_group, ids: list[str], group_id: str = "big-group"):
    children = [[[task_id, None], None] for task_id in ids]
    return make_group(group_id=group_id, result=json.dumps([[group_id, None], children]))


@pytest.fixture
def big_group(make_group):
    """A group of 10,000 tasks, every one stored: a tenth failed."""
    ids = [f"member-{number:05d}" for number in range(SIZE)]
    get_task_result_model()._default_manager.bulk_create(
        get_task_result_model()(
            task_id=task_id,
            task_name="tests.testapp.tasks.add",
            status="FAILURE" if number % 10 == 0 else "SUCCESS",
            content_type="application/json",
            content_encoding="utf-8",
            result="3",
        )
        for number, task_id in enumerate(ids)
    )
    return group_of(make_group, ids), ids


def test_a_group_of_ten_thousand_tasks_pages_through_every_task_in_order(staff_client, big_group):
    group, ids = big_group
    seen, url = [], members_url(group.group_id, page_size=500)
    while url:
        answer = staff_client.get(url)
        assert answer.status_code == 200, answer.content
        seen += [row["task_id"] for row in answer.json()["results"]]
        url = answer.json()["next"]

    assert seen == ids


def test_the_counts_per_state_cover_the_whole_group(staff_client, big_group):
    group, _ = big_group

    body = staff_client.get(members_url(group.group_id, page_size=5)).json()

    assert body["count"] == SIZE
    assert body["states"] == {"FAILURE": 1000, "SUCCESS": 9000}
    assert len(body["results"]) == 5


def test_tasks_not_stored_yet_are_listed_as_missing(staff_client, make_group, make_task):
    make_task(task_id="stored")
    group = group_of(make_group, ["stored", "not-yet"])

    body = staff_client.get(members_url(group.group_id)).json()

    assert [row["task_id"] for row in body["results"]] == ["stored"]
    assert body["missing"] == ["not-yet"]
    assert body["states"] == {"SUCCESS": 1}


def test_a_page_starts_where_after_says(staff_client, big_group):
    group, ids = big_group

    body = staff_client.get(members_url(group.group_id, after=9998, page_size=50)).json()

    assert [row["task_id"] for row in body["results"]] == ids[9998:]
    assert body["next"] is None
    assert "after=9948" in body["previous"]


@pytest.mark.parametrize(
    ("params", "name"),
    [({"after": -1}, "after"), ({"after": "x"}, "after"), ({"page_size": 100_000}, "page_size")],
)
def test_a_bad_page_parameter_is_a_400_naming_it(staff_client, make_group, params, name):
    group = group_of(make_group, ["a"])

    answer = staff_client.get(members_url(group.group_id, **params))

    assert answer.status_code == 400
    assert name in answer.json()


def test_an_unknown_parameter_is_a_400(staff_client, make_group):
    group = group_of(make_group, ["a"])

    assert staff_client.get(members_url(group.group_id, task_id__in="a")).status_code == 400


def test_a_group_the_scope_hook_hides_is_a_404(client, make_group, settings, django_user_model):
    settings.RESULTS_API = {
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }
    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.own_tenant_only"
    group = group_of(make_group, ["a"])
    client.force_login(django_user_model.objects.create_user("acme", password="x"))

    assert client.get(members_url(group.group_id)).status_code == 404


def test_a_member_sees_only_the_tasks_of_their_scope(
    client, make_group, make_task, settings, django_user_model
):
    settings.RESULTS_API = {
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }
    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.own_ids_only"
    make_task(task_id="acme-1")
    make_task(task_id="globex-1", status="FAILURE")
    group = group_of(make_group, ["acme-1", "globex-1"], group_id="acme-group")
    client.force_login(django_user_model.objects.create_user("acme", password="x"))

    body = client.get(members_url(group.group_id)).json()

    assert [row["task_id"] for row in body["results"]] == ["acme-1"]
    assert body["states"] == {"SUCCESS": 1}
    assert body["missing"] == ["globex-1"]
