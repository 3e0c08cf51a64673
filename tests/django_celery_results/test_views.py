"""The JSON status views of django_celery_results.urls: safe by default, masked, scoped.

Most tests read as a superuser (``admin_client``), who has the view
permission the views ask for; those about who may read say so.
"""

import pytest
from celery import states
from celery.result import AsyncResult, GroupResult
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_task_status_returns_the_state_and_result(admin_client, backend):
    backend.store_result("t-1", {"n": 1}, states.SUCCESS)

    response = admin_client.get(reverse("celery-task_status", args=["t-1"]))

    assert response.json() == {"task": {"id": "t-1", "status": "SUCCESS", "result": {"n": 1}}}


def test_task_status_of_a_failure_names_the_exception_and_traceback(admin_client, backend):
    backend.mark_as_failure("t-1", ValueError("boom"), traceback="Traceback: boom")

    task = admin_client.get(reverse("celery-task_status", args=["t-1"])).json()["task"]

    assert (task["status"], task["exc"], task["traceback"]) == (
        "FAILURE",
        "builtins.ValueError",
        "Traceback: boom",
    )
    assert "boom" in task["result"]


def test_is_task_successful(admin_client, backend):
    backend.store_result("t-1", 1, states.SUCCESS)

    response = admin_client.get(reverse("celery-is_task_successful", args=["t-1"]))

    assert response.json() == {"task": {"id": "t-1", "executed": True}}


def test_id_first_urls_still_answer(admin_client, backend):
    backend.store_result("t-1", 1, states.SUCCESS)

    assert admin_client.get("/celery/t-1/done/").json()["task"]["executed"] is True


def test_group_status_lists_each_task(admin_client, celery_app, backend):
    backend.store_result("a", 1, states.SUCCESS)
    backend.save_group("g-1", GroupResult("g-1", [AsyncResult("a", app=celery_app)]))

    response = admin_client.get(reverse("celery-group_status", args=["g-1"]))

    assert response.json() == {
        "group": {"id": "g-1", "results": [{"result": 1, "status": "SUCCESS"}]}
    }


def test_group_status_of_a_missing_group_is_404_not_500(admin_client):
    response = admin_client.get(reverse("celery-group_status", args=["missing"]))

    assert response.status_code == 404


def test_is_group_successful_of_a_missing_group_is_an_empty_list(admin_client):
    response = admin_client.get(reverse("celery-is_group_successful", args=["missing"]))

    assert response.json() == {"group": {"id": "missing", "results": []}}


@pytest.fixture
def pickled_task(backend):
    """A task whose result was stored with the pickle serializer, which the backend refuses."""
    backend.store_result("t-1", 1, states.SUCCESS)
    model = backend.TaskModel
    model._default_manager.filter(task_id="t-1").update(
        content_type="application/x-python-serialize", content_encoding="binary", result="gAN9cQAu"
    )
    return "t-1"


@pytest.mark.parametrize("name", ["celery-task_status", "celery-is_task_successful"])
def test_a_result_in_a_refused_format_is_a_409_naming_it(admin_client, pickled_task, name):
    response = admin_client.get(reverse(name, args=[pickled_task]))

    assert response.status_code == 409
    assert response.json()["task"]["id"] == pickled_task
    assert "application/x-python-serialize" in response.json()["task"]["error"]


def test_a_group_whose_tasks_cannot_be_decoded_is_a_409(
    admin_client, celery_app, backend, pickled_task
):
    backend.save_group("g-1", GroupResult("g-1", [AsyncResult(pickled_task, app=celery_app)]))

    response = admin_client.get(reverse("celery-group_status", args=["g-1"]))

    assert (response.status_code, response.json()["group"]["id"]) == (409, "g-1")


# Who may read: safe by default, one setting to open them

STATUS_URL_NAMES = [
    ("celery-task_status", "t-1"),
    ("celery-is_task_successful", "t-1"),
    ("celery-group_status", "g-1"),
    ("celery-is_group_successful", "g-1"),
]
ID_FIRST_URLS = ["/celery/t-1/status/", "/celery/t-1/done/", "/celery/g-1/group/status/"]


def every_status_url() -> list[str]:
    return [reverse(name, args=[ident]) for name, ident in STATUS_URL_NAMES] + ID_FIRST_URLS


@pytest.fixture
def stored_group(celery_app, backend):
    backend.store_result("t-1", {"n": 1}, states.SUCCESS)
    backend.mark_as_failure("t-2", ValueError("boom"), traceback="Traceback: boom")
    results = [AsyncResult("t-1", app=celery_app), AsyncResult("t-2", app=celery_app)]
    backend.save_group("g-1", GroupResult("g-1", results))


def viewer(django_user_model, name="viewer"):
    """A user (not staff) with the view permission of the active task result model."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    from django_celery_results.models import get_task_result_model

    user = django_user_model.objects.create_user(name)
    model = get_task_result_model()
    user.user_permissions.add(
        Permission.objects.get(
            content_type=ContentType.objects.get_for_model(model),
            codename=f"view_{model._meta.model_name}",
        )
    )
    return user


def test_anonymous_users_get_a_403_and_no_result_from_every_status_url(client, stored_group):
    for url in every_status_url():
        response = client.get(url)
        assert response.status_code == 403, url
        assert set(response.json()) == {"detail"}, url


def test_a_user_without_the_view_permission_gets_a_403(client, stored_group, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", is_staff=True))
    assert {client.get(url).status_code for url in every_status_url()} == {403}


def test_a_user_with_the_view_permission_gets_every_status(client, stored_group, django_user_model):
    client.force_login(viewer(django_user_model))
    assert {client.get(url).status_code for url in every_status_url()} == {200}


def test_the_public_setting_answers_anonymous_users_without_tracebacks(
    client, stored_group, settings
):
    settings.CELERY_RESULTS_STATUS_VIEWS_PUBLIC = True

    ok = client.get(reverse("celery-task_status", args=["t-1"])).json()["task"]
    failed = client.get(reverse("celery-task_status", args=["t-2"])).json()["task"]

    assert ok == {"id": "t-1", "status": "SUCCESS", "result": {"n": 1}}
    assert (failed["exc"], failed["traceback"]) == ("builtins.ValueError", None)


def test_a_viewer_sees_the_traceback(client, stored_group, django_user_model):
    client.force_login(viewer(django_user_model))
    task = client.get(reverse("celery-task_status", args=["t-2"])).json()["task"]
    assert task["traceback"] == "Traceback: boom"


# Masking, as in the API


def test_task_status_masks_secret_values_in_the_result(admin_client, backend):
    backend.store_result("t-1", {"user": "u", "password": "hunter2"}, states.SUCCESS)

    response = admin_client.get(reverse("celery-task_status", args=["t-1"]))

    assert response.json()["task"]["result"] == {"user": "u", "password": "********"}


def test_group_status_masks_secret_values_in_each_result(admin_client, celery_app, backend):
    backend.store_result("t-1", {"token": "abc123"}, states.SUCCESS)
    backend.save_group("g-1", GroupResult("g-1", [AsyncResult("t-1", app=celery_app)]))

    response = admin_client.get(reverse("celery-group_status", args=["g-1"]))

    assert b"abc123" not in response.content
    assert response.json()["group"]["results"] == [
        {"result": {"token": "********"}, "status": "SUCCESS"}
    ]


def test_the_status_views_mask_with_the_store_rules(admin_client, backend, settings):
    settings.CELERY_RESULTS_REDACT_KEYS = ["pin"]
    backend.store_result("t-1", {"pin": 1234}, states.SUCCESS)

    task = admin_client.get(reverse("celery-task_status", args=["t-1"])).json()["task"]

    assert task["result"] == {"pin": "********"}


def test_secret_values_in_an_exception_message_mapping_are_masked(admin_client, backend):
    backend.mark_as_failure("t-1", ValueError({"password": "hunter2"}), traceback="tb")

    response = admin_client.get(reverse("celery-task_status", args=["t-1"]))

    assert b"hunter2" not in response.content
    assert response.json()["task"]["exc"] == "builtins.ValueError"


# Scope


@pytest.fixture
def scoped_to_own_ids(settings):
    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.own_ids_only"


def test_a_task_outside_the_scope_is_answered_like_an_unknown_one(
    client, backend, django_user_model, scoped_to_own_ids
):
    backend.store_result("alice-1", 1, states.SUCCESS)
    backend.store_result("bob-1", {"secret": "x"}, states.SUCCESS)
    client.force_login(viewer(django_user_model, "alice"))

    own = client.get(reverse("celery-task_status", args=["alice-1"])).json()["task"]
    other = client.get(reverse("celery-task_status", args=["bob-1"])).json()["task"]
    unknown = client.get(reverse("celery-task_status", args=["nobody-1"])).json()["task"]

    assert own["status"] == "SUCCESS"
    assert (
        {**other, "id": None}
        == {**unknown, "id": None}
        == {
            "id": None,
            "status": "PENDING",
            "result": None,
        }
    )
    assert client.get("/celery/bob-1/done/").json()["task"]["executed"] is False


def test_group_status_leaves_out_tasks_outside_the_scope(
    client, celery_app, backend, django_user_model, scoped_to_own_ids
):
    backend.store_result("alice-1", 1, states.SUCCESS)
    backend.store_result("bob-1", 2, states.SUCCESS)
    tasks = [AsyncResult(task_id, app=celery_app) for task_id in ("alice-1", "bob-1", "gone")]
    backend.save_group("alice-g", GroupResult("alice-g", tasks))
    backend.save_group("bob-g", GroupResult("bob-g", tasks))
    client.force_login(viewer(django_user_model, "alice"))

    status = client.get(reverse("celery-group_status", args=["alice-g"])).json()["group"]
    done = client.get(reverse("celery-is_group_successful", args=["alice-g"])).json()["group"]
    foreign = client.get(reverse("celery-group_status", args=["bob-g"]))

    assert status["results"] == [{"result": 1, "status": "SUCCESS"}]
    assert done["results"] == [{"id": "alice-1", "executed": True}]
    assert foreign.status_code == 404


def test_a_scope_hook_that_returns_no_queryset_is_named(admin_client, backend, settings):
    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.not_a_queryset"
    backend.store_result("t-1", 1, states.SUCCESS)
    with pytest.raises(ImproperlyConfigured, match="CELERY_RESULTS_SCOPE_QUERYSET"):
        admin_client.get(reverse("celery-task_status", args=["t-1"]))


# Hostile stored content: every answer is a 200 or a 409 naming why, never a 500


def test_a_result_stored_as_bytes_is_shown_as_the_encoders_mapping(admin_client, backend):
    backend.store_result("t-1", b"\x00\xff", states.SUCCESS)

    task = admin_client.get(reverse("celery-task_status", args=["t-1"])).json()["task"]

    assert task["result"] == {"__type__": "base64", "__value__": "AP8="}


def test_a_failure_whose_result_is_no_exception_mapping_is_shown_as_stored(
    admin_client, backend, task_result_model
):
    backend.store_result("t-1", ["not", "an", "exception"], states.SUCCESS)
    task_result_model._default_manager.filter(task_id="t-1").update(status=states.FAILURE)

    task = admin_client.get(reverse("celery-task_status", args=["t-1"])).json()["task"]

    assert (task["status"], task["exc"], task["result"]) == (
        "FAILURE",
        None,
        ["not", "an", "exception"],
    )


def test_an_exception_mapping_naming_any_module_is_described_without_importing_it(
    admin_client, backend, task_result_model
):
    import sys

    assert "this" not in sys.modules  # the Zen of Python prints itself when imported
    stored = {"exc_type": "system", "exc_module": "this", "exc_message": ["touch /tmp/owned"]}
    backend.store_result("t-1", stored, states.SUCCESS)
    task_result_model._default_manager.filter(task_id="t-1").update(status=states.FAILURE)

    response = admin_client.get(reverse("celery-task_status", args=["t-1"]))

    assert response.status_code == 200
    assert response.json()["task"]["exc"] == "this.system"
    assert "this" not in sys.modules


def test_a_result_hundreds_of_levels_deep_is_shown_to_the_depth_limit(admin_client, backend):
    from django_celery_results.content import TOO_DEEP

    value: list = [1]
    for _ in range(900):
        value = [value]
    backend.store_result("t-1", value, states.SUCCESS)

    for name in ("celery-task_status", "celery-is_task_successful"):
        assert admin_client.get(reverse(name, args=["t-1"])).status_code == 200
    result = admin_client.get(reverse("celery-task_status", args=["t-1"])).json()["task"]["result"]
    while isinstance(result, list):
        result = result[0]
    assert result == TOO_DEEP
