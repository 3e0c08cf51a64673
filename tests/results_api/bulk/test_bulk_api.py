"""tasks/bulk/<action>/: a preview that says what would happen, a confirmation that does it."""

from __future__ import annotations

import functools
import json

import pytest
from celery import Celery, states
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from django_celery_results import recorder
from django_celery_results.models import get_task_result_model
from results_api.bulk import run as bulk_run
from results_api.bulk.models import BulkAction, BulkRetry
from results_api.bulk.run import acquire
from results_api.bulk.selection import run_key
from results_api.search.index import index_search_text

from ..conftest import action_url
from .conftest import bulk_url, confirm

CUT_SHORT = json.dumps("(1, 'abc...")  # Celery's repr of arguments, cut short


@pytest.fixture
def failures(make_task):
    """Five failures of one task (one with arguments Celery cut short), one still running."""
    make_task = functools.partial(make_task, task_kwargs=json.dumps("{}"))
    for number in range(4):
        make_task(
            task_id=f"f-{number}", status=states.FAILURE, task_args=json.dumps(f"({number}, 2)")
        )
    make_task(task_id="f-cut", status=states.FAILURE, task_args=CUT_SHORT)
    make_task(task_id="running", status=states.STARTED, task_args=json.dumps("(9, 9)"))


def ids(model=None) -> set[str]:
    model = model or get_task_result_model()
    return set(model._default_manager.values_list("task_id", flat=True))


def test_a_bulk_action_is_a_404_until_the_project_lists_it(superuser_client, failures, settings):
    settings.RESULTS_API = {"BULK_ACTIONS": ["revoke"]}

    assert superuser_client.get(bulk_url("retry")).status_code == 404
    assert superuser_client.get(bulk_url("delete")).status_code == 404
    assert superuser_client.get(bulk_url("revoke")).status_code == 200


def test_the_preview_counts_the_rows_and_what_would_be_skipped_and_why(
    superuser_client, failures, bulk_on
):
    answer = superuser_client.get(bulk_url("retry", task_id__startswith="")).json()

    assert (answer["matched"], answer["acting_on"]) == (6, 4)
    assert [(s["reason"], s["count"]) for s in answer["skipped"]] == [
        ("arguments_unusable", 1),
        ("unfinished", 1),
    ]
    assert answer["limit"] == 100_000 and answer["token"]


def test_a_confirmed_retry_sends_each_task_once_through_the_broker(
    superuser_client, failures, bulk_on, queue
):
    _preview, done = confirm(superuser_client, "retry", status=states.FAILURE)

    assert done.status_code == 200, done.content
    assert (done.json()["acted"], done.json()["state"]) == (4, "done")
    sent = queue.messages()
    assert sorted(message["retry_of"] for message in sent) == [f"f-{n}" for n in range(4)]
    assert {message["task"] for message in sent} == {"tests.testapp.tasks.add"}
    assert len({message["id"] for message in sent}) == 4


def test_confirming_the_same_preview_twice_acts_once(superuser_client, failures, bulk_on, queue):
    preview = superuser_client.get(bulk_url("retry", status=states.FAILURE)).json()
    body = {"token": preview["token"]}

    first = superuser_client.post(bulk_url("retry", status=states.FAILURE), body, format="json")
    second = superuser_client.post(bulk_url("retry", status=states.FAILURE), body, format="json")

    assert first.json() == second.json()
    assert len(queue.messages()) == 4


def test_a_filter_that_now_selects_more_rows_than_the_preview_is_refused(
    superuser_client, failures, bulk_on, make_task, queue
):
    preview = superuser_client.get(bulk_url("retry", status=states.FAILURE)).json()
    make_task(task_id="f-late", status=states.FAILURE, task_args=json.dumps("(5, 5)"))

    response = superuser_client.post(
        bulk_url("retry", status=states.FAILURE), {"token": preview["token"]}, format="json"
    )

    assert response.status_code == 409
    assert "preview counted 5" in response.json()["detail"]
    assert queue.messages() == []


def test_a_retry_leaves_alone_the_failures_its_own_retries_store_while_it_runs(
    superuser_client, failures, bulk_on, queue, make_task, monkeypatch
):
    real_send = bulk_run.send_retry

    def send_and_fail_at_once(app, task, arguments, new_id, producer=None):
        """A fast worker: the retried task fails again before the run reads its next batch."""
        real_send(app, task, arguments, new_id, producer)
        if len(queue.messages()) < 20:  # bounded, so that the test ends however the run behaves
            make_task(
                task_id=new_id,
                status=states.FAILURE,
                task_args=json.dumps("(1, 2)"),
                task_kwargs=json.dumps("{}"),
            )

    monkeypatch.setattr(bulk_run, "send_retry", send_and_fail_at_once)

    _preview, done = confirm(superuser_client, "retry", status=states.FAILURE)

    assert (done.json()["matched"], done.json()["acted"]) == (5, 4)
    assert sorted(message["retry_of"] for message in queue.messages()) == [
        f"f-{n}" for n in range(4)
    ]


def test_a_bulk_delete_leaves_alone_a_row_stored_after_its_preview(
    superuser_client, failures, bulk_on, make_task
):
    preview = superuser_client.get(bulk_url("delete", status=states.FAILURE)).json()
    get_task_result_model()._default_manager.filter(task_id="f-0").delete()
    make_task(task_id="f-late", status=states.FAILURE)  # as many rows as the preview counted

    done = superuser_client.post(
        bulk_url("delete", status=states.FAILURE), {"token": preview["token"]}, format="json"
    )

    assert (done.status_code, done.json()["acted"]) == (200, 4)
    assert ids() == {"running", "f-late"}


@pytest.mark.parametrize(
    "change",
    ["other filters", "other action", "other user", "forged", "missing"],
)
def test_a_token_that_is_not_this_previews_is_a_400_naming_token(
    superuser_client, failures, bulk_on, change
):
    token = superuser_client.get(bulk_url("delete", status=states.FAILURE)).json()["token"]
    action, filters, client = "delete", {"status": states.FAILURE}, superuser_client
    body = {"token": token}
    if change == "other filters":
        filters = {"status": states.SUCCESS}
    elif change == "other action":
        action = "revoke"
    elif change == "other user":
        client = APIClient()
        client.force_authenticate(get_user_model().objects.create_superuser("other"))
    elif change == "forged":
        body = {"token": token[:-2] + "xx"}
    else:
        body = {}

    response = client.post(bulk_url(action, **filters), body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["token"]
    assert len(ids()) == 6


@pytest.mark.parametrize(
    "token",
    ["", "x" * 100_000, "a\x00b", 12, None, ["list"], {"dict": 1}, "eyJ.not.signed"],
    ids=["empty", "long", "nul", "number", "null", "list", "object", "unsigned"],
)
def test_a_hostile_token_is_a_400_naming_token(superuser_client, failures, bulk_on, token):
    response = superuser_client.post(bulk_url("delete"), {"token": token}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["token"]
    assert len(ids()) == 6


def test_a_token_that_is_no_unicode_is_a_400(superuser_client, failures, bulk_on):
    body = '{"token": "\\ud800"}'  # a lone surrogate: JSON may hold one, UTF-8 may not

    response = superuser_client.post(bulk_url("delete"), body, content_type="application/json")

    assert response.status_code == 400
    assert len(ids()) == 6


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "x' OR '1'='1"},
        {"search": "%%%"},
        {"tenant__in": "1," + "9" * 30},
        {"cursor": "!!"},
    ],
)
@pytest.mark.parametrize("who", ["superuser", "scoped member"])
def test_hostile_filters_preview_as_a_200_or_a_400_naming_them(
    superuser_client, failures, bulk_on, filters, who
):
    if who == "scoped member":
        bulk_on.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.own_ids_only"
    response = superuser_client.get(bulk_url("delete", **filters))

    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert set(response.json()) <= set(filters)
    elif who == "scoped member":  # root owns no row under the scope: nothing to act on
        assert response.json()["matched"] == 0


def test_a_filter_over_the_limit_is_a_400_that_says_so(superuser_client, failures, bulk_on):
    bulk_on.RESULTS_API = {**bulk_on.RESULTS_API, "BULK_MAX_ROWS": 5}

    response = superuser_client.get(bulk_url("delete"))

    assert response.status_code == 400
    assert "BULK_MAX_ROWS" in response.json()["detail"]


def test_a_bulk_delete_deletes_exactly_the_rows_the_filters_select(
    superuser_client, failures, bulk_on
):
    _preview, done = confirm(
        superuser_client, "delete", status=states.FAILURE, task_id__startswith="f-"
    )

    assert done.json()["acted"] == 5
    assert ids() == {"running"}


def test_a_bulk_revoke_skips_finished_tasks(superuser_client, failures, bulk_on):
    preview, done = confirm(superuser_client, "revoke")

    assert [(s["reason"], s["count"]) for s in preview.json()["skipped"]] == [("finished", 5)]
    assert done.json()["acted"] == 1


def test_the_bulk_search_selects_by_content(superuser_client, failures, bulk_on, make_task):
    make_task(task_id="order", task_kwargs=json.dumps("{'order_id': 4411}"))

    _preview, done = confirm(superuser_client, "delete", search="kwargs.order_id:4411")

    assert done.json()["acted"] == 1
    assert "order" not in ids()


def test_a_bulk_search_acts_on_the_indexed_and_the_live_matches(
    superuser_client, bulk_on, make_task
):
    for task_id in ("old-1", "old-2", "old-3"):
        make_task(task_id=task_id, status=states.FAILURE, result=json.dumps("needle"))
    make_task(task_id="old-hay", status=states.FAILURE, result=json.dumps("hay"))
    index_search_text(get_task_result_model(), until=timezone.now())
    make_task(task_id="new-1", status=states.FAILURE, result=json.dumps("needle"))
    make_task(task_id="new-hay", status=states.FAILURE, result=json.dumps("hay"))

    retry = superuser_client.get(bulk_url("retry", search="needle"))
    _preview, done = confirm(superuser_client, "delete", search="needle")

    assert retry.json()["matched"] == 4
    assert done.json()["acted"] == 4
    assert ids() == {"old-hay", "new-hay"}


@pytest.mark.django_db(transaction=True)
def test_with_track_sent_each_retried_task_has_its_pending_row(
    superuser_client, failures, bulk_on, queue, settings
):
    settings.CELERY_RESULTS_TRACK_SENT = True

    confirm(superuser_client, "retry", status=states.FAILURE)

    assert recorder.flush(timeout=30)
    new_ids = [message["id"] for message in queue.messages()]
    pending = get_task_result_model()._default_manager.filter(task_id__in=new_ids)
    assert sorted(pending.values_list("status", flat=True)) == [states.PENDING] * 4


def test_a_task_whose_arguments_the_broker_cannot_encode_is_skipped_and_the_rest_sent(
    superuser_client, failures, bulk_on, make_task, queue
):
    make_task(
        task_id="f-set",
        status=states.FAILURE,
        task_args=json.dumps("({1, 2},)"),  # a set: JSON cannot carry it
        task_kwargs=json.dumps("{}"),
    )

    _preview, done = confirm(superuser_client, "retry", status=states.FAILURE)

    assert done.json()["acted"] == 4
    assert {s["reason"]: s["count"] for s in done.json()["skipped"]} == {"arguments_unusable": 2}
    assert sorted(message["retry_of"] for message in queue.messages()) == [
        f"f-{n}" for n in range(4)
    ]


@pytest.mark.parametrize("action", ["retry", "revoke"])
def test_an_unreachable_broker_is_a_503_and_confirming_again_later_goes_on(
    superuser_client, failures, bulk_on, celery_app, queue, action
):
    unreachable = Celery("unreachable", broker="redis://127.0.0.1:9/0", set_as_current=False)
    unreachable.conf.update(
        broker_connection_timeout=1, broker_connection_retry=False, task_publish_retry=False
    )
    bulk_on.RESULTS_API = {**bulk_on.RESULTS_API, "CELERY_APP": unreachable}
    token = superuser_client.get(bulk_url(action)).json()["token"]

    refused = superuser_client.post(bulk_url(action), {"token": token}, format="json")
    bulk_on.RESULTS_API = {**bulk_on.RESULTS_API, "CELERY_APP": celery_app}
    done = superuser_client.post(bulk_url(action), {"token": token}, format="json")

    assert refused.status_code == 503, refused.content
    assert (done.status_code, done.json()["state"]) == (200, "done")
    expected = 4 if action == "retry" else 1
    assert done.json()["acted"] == expected


# Permissions and scope


@pytest.mark.parametrize("action", ["retry", "revoke", "delete"])
def test_staff_without_the_bulk_permission_is_refused(
    staff_client, failures, bulk_on, bulk_permissions, action
):
    assert staff_client.get(bulk_url(action)).status_code == 403


@pytest.mark.parametrize("action", ["retry", "revoke", "delete"])
def test_a_refusal_names_the_permissions_the_bulk_action_needs(
    staff_client, failures, bulk_on, bulk_permissions, action
):
    model = get_task_result_model()._meta
    bulk = f"{model.app_label}.bulk_{action}_{model.model_name}"

    detail = staff_client.get(bulk_url(action)).json()["detail"]

    assert bulk in detail
    if action == "delete":
        assert f"{model.app_label}.delete_{model.model_name}" in detail
    else:
        assert f"{action.upper()}_PERMISSION_CLASSES" in detail


@pytest.mark.parametrize("action", ["retry", "revoke", "delete"])
def test_the_bulk_permission_without_the_single_actions_is_refused(
    failures, bulk_on, bulk_permissions, action, settings
):
    settings.RESULTS_API = {
        **settings.RESULTS_API,
        "RETRY_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    }
    user = get_user_model().objects.create_user("operator", is_staff=False)
    user.user_permissions.add(Permission.objects.get(codename__startswith=f"bulk_{action}_"))
    client = APIClient()
    client.force_authenticate(user)
    settings.RESULTS_API = {
        **settings.RESULTS_API,
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }

    assert client.get(bulk_url(action)).status_code == 403


def test_staff_granted_the_bulk_permission_may_act(
    staff_client, staff_user, failures, bulk_on, bulk_permissions
):
    model = get_task_result_model()._meta
    for codename in ("bulk_delete_", "delete_"):
        staff_user.user_permissions.add(
            Permission.objects.get(
                codename=f"{codename}{model.model_name}", content_type__app_label=model.app_label
            )
        )

    _preview, done = confirm(staff_client, "delete", status=states.STARTED)

    assert done.status_code == 200 and ids() == {f"f-{n}" for n in range(4)} | {"f-cut"}


def test_a_scoped_member_acts_only_on_their_own_rows_whatever_the_filter(
    failures, bulk_on, make_task, settings
):
    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.own_ids_only"
    make_task(task_id="ann-1", status=states.FAILURE)
    make_task(task_id="bob-1", status=states.FAILURE)
    ann = APIClient()
    ann.force_authenticate(get_user_model().objects.create_superuser("ann"))

    for filters in ({}, {"task_id": "bob-1"}, {"task_id__startswith": "bob"}, {"search": "bob-1"}):
        preview, _done = confirm(ann, "delete", **filters)
        assert preview.json()["matched"] <= 1, filters
    assert "bob-1" in ids() and "ann-1" not in ids()


# The record


def test_each_bulk_action_is_recorded_in_the_admin_history(superuser_client, failures, bulk_on):
    confirm(superuser_client, "delete", status=states.STARTED)
    confirm(superuser_client, "retry", status=states.FAILURE)

    entries = list(LogEntry.objects.order_by("pk"))
    assert [(entry.action_flag, entry.user.username) for entry in entries] == [
        (DELETION, "root"),
        (CHANGE, "root"),
    ]
    assert "Bulk delete" in entries[0].change_message
    assert "status=STARTED" in entries[0].change_message
    assert "1 of 1 acted on" in entries[0].change_message
    assert "4 of 5 acted on; skipped: 1 arguments_unusable" in entries[1].change_message


def test_the_record_of_a_revoke_that_skipped_nothing_names_no_skipped_rows(
    superuser_client, failures, bulk_on
):
    confirm(superuser_client, "revoke", status=states.STARTED)

    message = LogEntry.objects.get().change_message
    assert "1 of 1 acted on; done." in message and "skipped" not in message


def test_a_single_retry_and_revoke_are_recorded_against_their_task(
    superuser_client, failures, settings, celery_app, queue
):
    settings.RESULTS_API = {"RETRY_ENABLED": True, "REVOKE_ENABLED": True, "CELERY_APP": celery_app}
    task = get_task_result_model()._default_manager.get(task_id="f-0")

    retried = superuser_client.post(action_url("f-0", "retry"))
    superuser_client.post(action_url("running", "revoke"), {"terminate": True}, format="json")

    entries = list(LogEntry.objects.order_by("pk"))
    assert [(entry.object_id, entry.object_repr) for entry in entries] == [
        (str(task.pk), "f-0"),
        (str(get_task_result_model()._default_manager.get(task_id="running").pk), "running"),
    ]
    assert entries[0].change_message == (
        f"Retried through the results API as {retried.json()['task_id']}."
    )
    assert entries[1].change_message == "Revoked through the results API and terminated."


# Interrupted


def crash_after_three_sends(monkeypatch):
    """Make a bulk run's process die (a crash, a request timeout) after three retries sent.

    Returns the real send, to put back for the confirmation that resumes.
    """
    real_send = bulk_run.send_retry
    sent = []

    def send_then_crash(*args, **kwargs):
        if len(sent) == 3:
            raise SystemExit("the process dies")
        sent.append(1)
        real_send(*args, **kwargs)

    monkeypatch.setattr(bulk_run, "send_retry", send_then_crash)
    return real_send


def test_a_retry_interrupted_half_way_resumes_without_sending_a_task_twice(
    superuser_client, failures, bulk_on, queue, monkeypatch
):
    real_send = crash_after_three_sends(monkeypatch)
    preview = superuser_client.get(bulk_url("retry", status=states.FAILURE)).json()
    with pytest.raises(SystemExit):
        superuser_client.post(
            bulk_url("retry", status=states.FAILURE), {"token": preview["token"]}, format="json"
        )
    assert len(queue.messages()) == 3
    monkeypatch.setattr(bulk_run, "send_retry", real_send)
    BulkAction.objects.update(leased_until=None)  # the dead process's lease has run out

    done = superuser_client.post(
        bulk_url("retry", status=states.FAILURE), {"token": preview["token"]}, format="json"
    )

    assert (done.json()["acted"], done.json()["state"]) == (4, "done")
    sent_for = [message["retry_of"] for message in queue.messages()]
    assert sorted(sent_for) == [f"f-{n}" for n in range(4)]
    claims = BulkRetry.objects.values_list("new_task_id", flat=True)
    assert sorted(message["id"] for message in queue.messages()) == sorted(claims)


def test_a_retry_interrupted_half_way_resumes_after_its_token_has_expired(
    superuser_client, failures, bulk_on, queue, monkeypatch
):
    from django.core import signing

    real_send, real_time = crash_after_three_sends(monkeypatch), signing.time.time
    url = bulk_url("retry", status=states.FAILURE)
    preview = superuser_client.get(url).json()
    with pytest.raises(SystemExit):
        superuser_client.post(url, {"token": preview["token"]}, format="json")
    monkeypatch.setattr(bulk_run, "send_retry", real_send)
    BulkAction.objects.update(leased_until=None)  # the dead process's lease has run out
    other = bulk_url("delete", status=states.FAILURE)
    later = superuser_client.get(other).json()["token"]  # a preview never confirmed
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + 3600)  # both expired

    done = superuser_client.post(url, {"token": preview["token"]}, format="json")
    fresh = superuser_client.post(other, {"token": later}, format="json")

    assert (done.json()["acted"], done.json()["state"]) == (4, "done")
    assert sorted(m["retry_of"] for m in queue.messages()) == [f"f-{n}" for n in range(4)]
    assert fresh.status_code == 400 and "expired" in fresh.json()["token"][0]


def test_a_second_confirmation_while_the_first_runs_is_refused(superuser_client, failures, bulk_on):
    preview = superuser_client.get(bulk_url("delete")).json()
    run = BulkAction.objects.create(
        key=run_key(preview["token"]),
        action="delete",
        model="x",
        matched=6,
    )

    acquire(run)
    response = superuser_client.post(bulk_url("delete"), {"token": preview["token"]}, format="json")

    assert response.status_code == 409
    assert len(ids()) == 6
