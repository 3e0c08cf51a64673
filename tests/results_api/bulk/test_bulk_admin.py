"""Retry and revoke selected tasks from the admin: a confirmation page first, then the action."""

from __future__ import annotations

import json

import pytest
from celery import states
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from django_celery_results.models import get_task_result_model
from results_api.bulk.models import BulkAction


@pytest.fixture
def tasks(make_task):
    for number in range(3):
        make_task(
            task_id=f"f-{number}",
            status=states.FAILURE,
            task_args=json.dumps(f"({number},)"),
            task_kwargs=json.dumps("{}"),
        )
    make_task(task_id="running", status=states.STARTED)
    return get_task_result_model()._default_manager.order_by("task_id")


def changelist() -> str:
    opts = get_task_result_model()._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def select(tasks, *task_ids: str) -> list[str]:
    return [str(task.pk) for task in tasks if task.task_id in task_ids]


def retry_all_failures(admin_client, tasks) -> None:
    """Confirm a bulk retry of one selected row with "select all" on the failures' changelist."""
    admin_client.post(
        f"{changelist()}?status__exact=FAILURE",
        {
            "action": "bulk_retry",
            "select_across": "1",
            "_selected_action": select(tasks, "f-0"),
            "post": "yes",
        },
    )


def test_the_first_click_shows_what_would_be_done_and_asks_to_confirm(
    admin_client, tasks, bulk_on, queue
):
    response = admin_client.post(
        changelist(),
        {"action": "bulk_retry", "_selected_action": select(tasks, "f-0", "f-1", "running")},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Tasks selected: 3. The action will act on 2 of them." in page
    assert "not finished yet" in page
    assert queue.messages() == []


def test_the_confirmation_lists_no_skipped_rows_when_none_are_skipped(admin_client, tasks, bulk_on):
    response = admin_client.post(
        changelist(), {"action": "bulk_revoke", "_selected_action": select(tasks, "running")}
    )

    page = response.content.decode()
    assert "The action will act on 1 of them." in page
    assert "Skipped" not in page and "already finished" not in page


def test_confirming_retries_the_selected_tasks_and_records_it(admin_client, tasks, bulk_on, queue):
    response = admin_client.post(
        changelist(),
        {
            "action": "bulk_retry",
            "_selected_action": select(tasks, "f-0", "f-2", "running"),
            "post": "yes",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert sorted(message["retry_of"] for message in queue.messages()) == ["f-0", "f-2"]
    assert "2 of 3 tasks; 1 skipped" in response.content.decode()
    assert "in the admin of 3 selected tasks" in LogEntry.objects.get().change_message


def test_select_all_acts_on_every_row_the_changelist_filters_select(
    admin_client, tasks, bulk_on, queue
):
    retry_all_failures(admin_client, tasks)

    assert sorted(message["retry_of"] for message in queue.messages()) == ["f-0", "f-1", "f-2"]


def test_the_record_of_select_all_names_the_changelist_filters(admin_client, tasks, bulk_on, queue):
    retry_all_failures(admin_client, tasks)

    message = LogEntry.objects.get().change_message
    assert "of 3 selected tasks (all matching [status__exact=FAILURE]): 3 acted on" in message
    assert BulkAction.objects.get().filters == "status__exact=FAILURE"


def test_the_actions_are_offered_only_with_the_bulk_permission(
    client, tasks, bulk_on, bulk_permissions, django_user_model
):
    model = get_task_result_model()._meta
    user = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[f"view_{model.model_name}", f"change_{model.model_name}"],
            content_type__app_label=model.app_label,
        )
    )
    client.force_login(user)
    offered = client.get(changelist()).content.decode()
    user.user_permissions.add(Permission.objects.get(codename=f"bulk_retry_{model.model_name}"))
    client.force_login(django_user_model.objects.get(pk=user.pk))
    granted = client.get(changelist()).content.decode()

    assert 'value="bulk_retry"' not in offered
    assert 'value="bulk_retry"' in granted and 'value="bulk_revoke"' not in granted


def test_each_run_is_listed_in_the_admin_with_how_far_it_got(admin_client, tasks, bulk_on, queue):
    admin_client.post(
        changelist(),
        {"action": "bulk_retry", "_selected_action": select(tasks, "f-0", "f-1"), "post": "yes"},
    )

    page = admin_client.get(reverse("admin:results_api_bulkaction_changelist")).content.decode()

    run = BulkAction.objects.get()
    assert (run.action, run.acted, run.state) == ("retry", 2, "done")
    assert f'<a href="/admin/results_api/bulkaction/{run.pk}/change/' in page
    assert "1 bulk action" in page
