"""``tasks/metadata/``: the fields, filters, choices and actions a client builds controls from."""

from __future__ import annotations

import pytest
from celery import states
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

METADATA_URL = "results_api:task-metadata"
OWN_TENANT = "tests.results_api.scopes.own_tenant_only"


def metadata(client: APIClient) -> dict:
    response = client.get(reverse(METADATA_URL))
    assert response.status_code == 200, response.content
    return response.json()


def fields_by_name(body: dict) -> dict[str, dict]:
    return {field["name"]: field for field in body["fields"]}


def member_client(username: str) -> APIClient:
    user = get_user_model().objects.create_user(username, password="x")
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_every_field_of_the_representation_is_described_in_order(staff_client, make_task):
    make_task()
    body = metadata(staff_client)
    listed = staff_client.get(reverse("results_api:task-list")).json()["results"][0]
    assert [field["name"] for field in body["fields"]] == list(listed)


def test_standard_fields_carry_their_kind_filters_and_ordering(staff_client):
    fields = fields_by_name(metadata(staff_client))
    assert fields["task_id"]["filters"] == {
        "exact": "task_id",
        "startswith": "task_id__startswith",
        "in": "task_id__in",
    }
    assert fields["task_name"]["filters"]["icontains"] == "task_name__icontains"
    assert fields["date_done"]["kind"] == "date"
    assert fields["date_done"]["filters"] == {"gte": "date_done__gte", "lte": "date_done__lte"}
    assert fields["runtime"] == {
        "name": "runtime",
        "label": "Runtime",
        "kind": "number",
        "extra": False,
        "filters": {},
        "orderable": True,
    }
    assert fields["wait"]["kind"] == "number"
    assert fields["wait"]["orderable"] is True
    assert fields["wait"]["label"] == "Waiting time"
    assert fields["result"]["kind"] == "json"
    assert fields["traceback"]["kind"] == "text"


def test_status_is_a_select_of_the_states_the_filter_accepts(staff_client):
    status = fields_by_name(metadata(staff_client))["status"]
    assert status["kind"] == "choices"
    assert {choice["value"] for choice in status["choices"]} == set(states.ALL_STATES)


def test_updated_since_is_no_field_filter(staff_client):
    fields = fields_by_name(metadata(staff_client))
    assert "updated_since" not in fields["date_done"]["filters"].values()


def test_the_computed_failure_filters_are_no_filters_of_the_result(staff_client):
    fields = fields_by_name(metadata(staff_client))
    assert fields["result"]["filters"] == {}


def test_extra_fields_of_a_custom_model_are_described_by_kind(staff_client, custom_model):
    fields = fields_by_name(metadata(staff_client))
    assert fields["tenant"]["kind"] == "foreign_key"
    assert fields["tenant"]["extra"] is True
    assert fields["tenant"]["filters"] == {"exact": "tenant", "in": "tenant__in"}
    assert fields["priority"]["kind"] == "choices"
    assert fields["priority"]["choices"] == [
        {"value": "low", "label": "Low"},
        {"value": "normal", "label": "Normal"},
        {"value": "high", "label": "High"},
    ]
    assert fields["attempt"]["kind"] == "number"
    assert fields["attempt"]["filters"]["gte"] == "attempt__gte"
    assert "attempt" in metadata(staff_client)["ordering"]


def test_foreign_key_choices_are_the_related_rows_staff_results_point_at(
    staff_client, custom_model, make_task, tenants
):
    acme, globex, _initech = tenants
    make_task(tenant=acme)
    make_task(tenant=globex)
    make_task(tenant=globex)
    choices = fields_by_name(metadata(staff_client))["tenant"]["choices"]
    assert choices == [{"value": acme.pk, "label": "acme"}, {"value": globex.pk, "label": "globex"}]


def test_a_member_is_offered_only_the_tenants_of_the_results_in_scope(
    settings, custom_model, make_task, tenants
):
    settings.RESULTS_API = {
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }
    settings.CELERY_RESULTS_SCOPE_QUERYSET = OWN_TENANT
    _acme, globex, _initech = tenants
    for tenant in tenants:
        make_task(tenant=tenant)
    choices = fields_by_name(metadata(member_client("globex")))["tenant"]["choices"]
    assert choices == [{"value": globex.pk, "label": "globex"}]
    assert "acme" not in str(metadata(member_client("initech")))


def test_foreign_key_choices_past_the_limit_are_left_to_a_box(
    settings, staff_client, custom_model, make_task, tenants
):
    settings.RESULTS_API = {"FILTER_CHOICES_LIMIT": 2}
    for tenant in tenants:
        make_task(tenant=tenant)
    assert fields_by_name(metadata(staff_client))["tenant"]["choices"] is None


def test_excluded_fields_are_not_described(settings, staff_client):
    settings.RESULTS_API = {"EXCLUDE_FIELDS": ["traceback", "worker"]}
    body = metadata(staff_client)
    assert not {"traceback", "worker"} & set(fields_by_name(body))
    assert "worker" not in body["ordering"]


def test_dashboard_settings_of_the_api_are_given(settings, staff_client):
    settings.RESULTS_API = {"PAGE_SIZE": 20, "MAX_PAGE_SIZE": 300}
    body = metadata(staff_client)
    assert body["page_size"] == 20
    assert body["max_page_size"] == 300
    assert body["intervals"] == ["minute", "hour", "day"]
    assert body["default_ordering"] == ["-date_created"]
    assert "status" in body["group_by"]
    assert body["time_zone"] == settings.TIME_ZONE
    assert set(body["ready_states"]) == set(states.READY_STATES)


def test_no_action_is_listed_while_the_actions_are_off(staff_client):
    assert metadata(staff_client)["actions"] == {}


def test_actions_are_listed_for_a_user_they_admit_with_their_states(settings, staff_client):
    settings.RESULTS_API = {"REVOKE_ENABLED": True, "RETRY_ENABLED": True}
    actions = metadata(staff_client)["actions"]
    assert set(actions["retry"]["states"]) == set(states.READY_STATES)
    assert "STARTED" in actions["revoke"]["states"]
    assert "SUCCESS" not in actions["revoke"]["states"]


def test_actions_are_not_listed_for_a_user_their_permissions_refuse(settings, db):
    settings.RESULTS_API = {
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "REVOKE_ENABLED": True,
        "RETRY_ENABLED": True,
        "RETRY_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }
    # revoke keeps its default, IsAdminUser; retry lets any logged-in user.
    assert metadata(member_client("member"))["actions"] == {
        "retry": {"states": sorted(states.READY_STATES)}
    }


def test_actions_are_checked_as_a_post(settings, staff_client):
    settings.RESULTS_API = {
        "REVOKE_ENABLED": True,
        "REVOKE_PERMISSION_CLASSES": ["tests.results_api.test_metadata.ReadOnly"],
    }
    assert metadata(staff_client)["actions"] == {}


class ReadOnly:
    """A permission that admits safe methods only."""

    def has_permission(self, request, view) -> bool:
        return request.method in ("GET", "HEAD", "OPTIONS")

    def has_object_permission(self, request, view, obj) -> bool:
        return True


@pytest.mark.parametrize("visible", [True, False])
def test_whether_tracebacks_show_is_said(settings, db, visible):
    settings.RESULTS_API = {
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "TRACEBACK_PERMISSION": None if visible else "django_celery_results.view_taskresult",
    }
    assert metadata(member_client("member"))["traceback_visible"] is visible


def test_metadata_is_for_readers_only(anonymous_client):
    assert anonymous_client.get(reverse(METADATA_URL)).status_code == 403


def test_metadata_answers_304_when_unchanged(staff_client):
    first = staff_client.get(reverse(METADATA_URL))
    again = staff_client.get(reverse(METADATA_URL), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
