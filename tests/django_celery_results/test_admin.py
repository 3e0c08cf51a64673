"""The admin of the active task result model: extra fields shown, filtered, searched."""

import pytest
from celery import states
from django.contrib import admin
from django.urls import reverse

from django_celery_results.admin import TaskResultAdmin
from django_celery_results.models import get_task_result_model

pytestmark = pytest.mark.django_db


def test_the_active_task_result_model_is_registered_with_our_admin():
    assert isinstance(admin.site._registry[get_task_result_model()], TaskResultAdmin)


def test_the_changelist_lists_stored_results(admin_client, backend):
    backend.store_result("t-1", 1, states.SUCCESS)

    response = admin_client.get(reverse(admin_site_url("changelist")))

    assert response.status_code == 200
    assert b"t-1" in response.content


def test_the_detail_page_is_read_only(admin_client, backend, task_result_model):
    backend.store_result("t-1", 1, states.SUCCESS)
    row = task_result_model.objects.get(task_id="t-1")

    response = admin_client.get(reverse(admin_site_url("change"), args=[row.pk]))

    assert response.status_code == 200
    assert set(response.context["adminform"].form.fields) == set()


@pytest.mark.swapped
def test_extra_fields_are_listed_filtered_and_searched(admin_client, rf, admin_user):
    model_admin = admin.site._registry[get_task_result_model()]
    request = rf.get("/")
    request.user = admin_user

    assert {"tenant", "priority", "attempt"} <= set(model_admin.get_list_display(request))
    filters = {
        entry[0] if isinstance(entry, tuple) else entry
        for entry in model_admin.get_list_filter(request)
    }
    assert {"tenant", "priority"} <= filters
    assert "attempt" not in filters


@pytest.mark.swapped
def test_the_changelist_filters_by_tenant(admin_client, backend, tenant, task_result_model):
    backend.store_result("mine", 1, states.SUCCESS)
    backend.store_result("other", 1, states.SUCCESS)
    task_result_model.objects.filter(task_id="mine").update(tenant=tenant)

    response = admin_client.get(
        reverse(admin_site_url("changelist")), {"tenant__id__exact": tenant.id}
    )

    assert b"mine" in response.content
    assert b"other" not in response.content


def admin_site_url(view):
    opts = get_task_result_model()._meta
    return f"admin:{opts.app_label}_{opts.model_name}_{view}"


@pytest.mark.worker
def test_the_terminate_action_revokes_the_selected_tasks(admin_client, backend, task_result_model):
    backend.store_result("t-1", None, states.STARTED)
    row = task_result_model.objects.get(task_id="t-1")

    response = admin_client.post(
        reverse(admin_site_url("changelist")),
        {"action": "terminate_task", "_selected_action": [row.pk]},
        follow=True,
    )

    assert "1 task(s) was terminated successfully." in response.content.decode()


@pytest.fixture
def view_only_staff(client, django_user_model):
    """A staff client whose user may view task results, and nothing more."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    model = get_task_result_model()
    user = django_user_model.objects.create_user("viewer", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(
            content_type=ContentType.objects.get_for_model(model),
            codename=f"view_{model._meta.model_name}",
        )
    )
    client.force_login(user)
    return client


def test_a_view_only_staff_user_is_not_offered_the_terminate_action(view_only_staff, backend):
    backend.store_result("t-1", None, states.STARTED)

    response = view_only_staff.get(reverse(admin_site_url("changelist")))

    assert response.status_code == 200
    assert "terminate_task" not in response.content.decode()


def test_a_view_only_staff_user_cannot_run_terminate_by_a_forged_post(
    view_only_staff, backend, task_result_model
):
    backend.store_result("t-1", None, states.STARTED)
    row = task_result_model.objects.get(task_id="t-1")

    response = view_only_staff.post(
        reverse(admin_site_url("changelist")),
        {"action": "terminate_task", "_selected_action": [row.pk]},
        follow=True,
    )

    assert response.status_code in (200, 403)
    assert "terminated successfully" not in response.content.decode()


def test_the_change_page_shows_stored_content_masked(admin_client, task_result_model):
    import json

    row = task_result_model.objects.create(
        task_id="t-secret",
        status=states.SUCCESS,
        content_type="application/json",
        content_encoding="utf-8",
        task_args=json.dumps("(Creds(user='u', password='hunter2'),)"),
        task_kwargs=json.dumps("{'token': 'abc123', 'n': 1}"),
        result=json.dumps({"api_key": "k-999", "rows": 3}),
        meta=json.dumps({"children": [], "secret": "s-777"}),
    )

    page = admin_client.get(reverse(admin_site_url("change"), args=[row.pk])).content.decode()

    for secret in ("hunter2", "abc123", "k-999", "s-777"):
        assert secret not in page
    assert "********" in page and "rows" in page


def test_the_change_page_masks_a_bytes_key_in_an_arguments_repr(admin_client, task_result_model):
    import json

    row = task_result_model.objects.create(
        task_id="t-bytes",
        status=states.SUCCESS,
        content_type="application/json",
        content_encoding="utf-8",
        task_args=json.dumps("({b'password': 'hunter2'},)"),
        task_kwargs=json.dumps("{'cfg': {b'token': 'abc123'}}"),
    )

    page = admin_client.get(reverse(admin_site_url("change"), args=[row.pk])).content.decode()

    assert "hunter2" not in page and "abc123" not in page


def test_saving_the_change_page_keeps_the_stored_content(admin_client, task_result_model):
    import json

    stored = json.dumps({"password": "hunter2"})
    row = task_result_model.objects.create(
        task_id="t-1", status=states.SUCCESS, content_type="application/json", result=stored
    )

    admin_client.post(reverse(admin_site_url("change"), args=[row.pk]), {"_save": "Save"})

    row.refresh_from_db()
    assert row.result == stored


def test_the_changelist_offers_no_add_button_while_edits_are_off(admin_client):
    response = admin_client.get(reverse(admin_site_url("changelist")))

    assert response.context["has_add_permission"] is False
    assert reverse(admin_site_url("add")) not in response.content.decode()


def test_the_add_page_is_refused_while_edits_are_off(admin_client):
    response = admin_client.get(reverse(admin_site_url("add")))

    assert response.status_code == 403


def test_the_change_page_is_a_view_page_without_save_buttons_while_edits_are_off(
    admin_client, backend, task_result_model
):
    backend.store_result("t-1", 1, states.SUCCESS)
    row = task_result_model.objects.get(task_id="t-1")

    response = admin_client.get(reverse(admin_site_url("change"), args=[row.pk]))

    page = response.content.decode()
    assert response.context["title"] == f"View {task_result_model._meta.verbose_name}"
    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page
    assert 'name="_addanother"' not in page


def test_allowing_edits_offers_the_save_buttons(admin_client, backend, task_result_model, settings):
    settings.DJANGO_CELERY_RESULTS = {"ALLOW_EDITS": True}
    backend.store_result("t-1", 1, states.SUCCESS)
    row = task_result_model.objects.get(task_id="t-1")

    response = admin_client.get(reverse(admin_site_url("change"), args=[row.pk]))

    assert response.context["title"] == f"Change {task_result_model._meta.verbose_name}"
    assert 'name="_save"' in response.content.decode()


def test_a_staff_user_with_the_change_permission_is_offered_the_terminate_action(
    client, django_user_model, backend
):
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    model = get_task_result_model()
    user = django_user_model.objects.create_user("operator", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            codename__in=[f"view_{model._meta.model_name}", f"change_{model._meta.model_name}"],
        )
    )
    client.force_login(user)
    backend.store_result("t-1", None, states.STARTED)

    response = client.get(reverse(admin_site_url("changelist")))

    assert "terminate_task" in response.content.decode()


def test_the_group_result_change_page_is_a_view_page_while_edits_are_off(admin_client):
    from django_celery_results.models import get_group_result_model

    model = get_group_result_model()
    group = model.objects.create(group_id="g-1", result="[]")
    opts = model._meta

    response = admin_client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[group.pk])
    )

    assert response.context["title"] == f"View {opts.verbose_name}"
    assert 'name="_save"' not in response.content.decode()


def test_the_change_page_shows_dates_to_the_second_in_the_projects_time_zone(
    admin_client, task_result_model, settings
):
    import datetime

    settings.TIME_ZONE = "Asia/Kolkata"
    row = task_result_model.objects.create(task_id="t-1", status=states.SUCCESS)
    started = datetime.datetime(2026, 3, 1, 12, 34, 56, tzinfo=datetime.timezone.utc)
    task_result_model.objects.filter(pk=row.pk).update(date_started=started)

    response = admin_client.get(reverse(admin_site_url("change"), args=[row.pk]))

    assert "03/01/2026 18:04:56" in response.content.decode()


def test_the_terminate_action_goes_through_the_admin_modules_celery_app(
    admin_client, task_result_model, monkeypatch
):
    """Projects' tests patch ``django_celery_results.admin.celery_app``, as with upstream."""
    from django_celery_results import admin as results_admin

    sent = []
    monkeypatch.setattr(results_admin.celery_app.control, "terminate", sent.append)
    row = task_result_model.objects.create(task_id="t-run", status=states.STARTED)

    response = admin_client.post(
        reverse(admin_site_url("changelist")),
        {"action": "terminate_task", "_selected_action": [row.pk]},
        follow=True,
    )

    assert sent == [["t-run"]]
    assert "1 task(s) was terminated successfully." in response.content.decode()


def test_a_terminate_the_broker_refuses_is_reported_as_an_error(
    admin_client, task_result_model, monkeypatch
):
    from django_celery_results import admin as results_admin

    def refuse(task_ids):
        raise ConnectionError("broker down")

    monkeypatch.setattr(results_admin.celery_app.control, "terminate", refuse)
    row = task_result_model.objects.create(task_id="t-run", status=states.STARTED)

    response = admin_client.post(
        reverse(admin_site_url("changelist")),
        {"action": "terminate_task", "_selected_action": [row.pk]},
        follow=True,
    )

    assert "Error while terminating tasks: broker down" in response.content.decode()


def test_the_change_page_shows_a_traceback_monospaced_with_its_indentation(
    admin_client, task_result_model
):
    traceback = (
        'Traceback (most recent call last):\n  File "x.py", line 1\n    boom()\nValueError: bad'
    )
    row = task_result_model.objects.create(
        task_id="t-failed", status=states.FAILURE, traceback=traceback
    )

    page = admin_client.get(reverse(admin_site_url("change"), args=[row.pk])).content.decode()

    assert (
        "<pre>Traceback (most recent call last):\n  File &quot;x.py&quot;, line 1\n    boom()"
        in page
    )
