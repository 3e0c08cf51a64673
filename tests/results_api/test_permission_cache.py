"""The traceback permission is asked once per user, and asked again when permissions change."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from django_celery_results.models import get_task_result_model

from .conftest import task_url

TRACEBACK = "Traceback (most recent call last):\nValueError: bad"


@pytest.fixture
def failed(make_task):
    return make_task(task_id="t-failed", status="FAILURE", traceback=TRACEBACK)


def view_permission() -> Permission:
    model = get_task_result_model()
    return Permission.objects.get(
        codename=f"view_{model._meta.model_name}", content_type__app_label=model._meta.app_label
    )


def permission_queries(user) -> tuple[object, int]:
    """Return the traceback a request of ``user`` shows and its permission queries.

    A fresh user object per request, as the authentication middleware loads
    one: Django's backend caches permissions on the object for its request.
    """
    client = APIClient()
    client.force_authenticate(type(user).objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as captured:
        traceback = client.get(task_url("t-failed")).json()["traceback"]
    asked = [query for query in captured.captured_queries if "auth_permission" in query["sql"]]
    return traceback, len(asked)


def test_the_second_request_asks_no_permission_query(staff_user, failed):
    staff_user.user_permissions.add(view_permission())

    assert permission_queries(staff_user) == (TRACEBACK, 2)
    assert permission_queries(staff_user) == (TRACEBACK, 0)


def test_a_revoked_permission_hides_tracebacks_at_once(staff_user, failed):
    staff_user.user_permissions.add(view_permission())
    assert permission_queries(staff_user)[0] == TRACEBACK

    staff_user.user_permissions.remove(view_permission())

    assert permission_queries(staff_user)[0] is None


def test_leaving_a_group_hides_tracebacks_at_once(staff_user, failed):
    readers = Group.objects.create(name="readers")
    readers.permissions.add(view_permission())
    staff_user.groups.add(readers)
    assert permission_queries(staff_user)[0] == TRACEBACK

    staff_user.groups.remove(readers)

    assert permission_queries(staff_user)[0] is None


def test_a_permission_taken_from_the_group_hides_tracebacks_at_once(
    staff_user, staff_client, failed
):
    readers = Group.objects.create(name="readers")
    readers.permissions.add(view_permission())
    staff_user.groups.add(readers)
    assert permission_queries(staff_user)[0] == TRACEBACK

    readers.permissions.clear()

    assert permission_queries(staff_user)[0] is None


def test_answers_are_per_user(staff_user, failed, django_user_model):
    staff_user.user_permissions.add(view_permission())
    other = django_user_model.objects.create_user("other", password="x", is_staff=True)

    assert permission_queries(staff_user)[0] == TRACEBACK
    assert permission_queries(other)[0] is None


def test_zero_seconds_asks_on_every_request(staff_user, failed, settings):
    settings.RESULTS_API = {"TRACEBACK_PERMISSION_CACHE_SECONDS": 0}
    staff_user.user_permissions.add(view_permission())

    assert permission_queries(staff_user) == (TRACEBACK, 2)
    assert permission_queries(staff_user) == (TRACEBACK, 2)
