"""Never decode untrusted bytes: the API and the admin never unpickle a stored pickle.

Unpickling runs code. Each payload here would create a marker file when
unpickled (checked first, so the payload is known to be live); the marker
must still be absent after every page of the API and of the admin has shown
the rows. The pickle serializer is Celery's own; the crafted rows put the
same payload in every stored column.
"""

from __future__ import annotations

import base64
import pickle
from pathlib import Path

import pytest
from celery import states
from django.test import Client
from django.urls import reverse

from django_celery_results.backends import DatabaseBackend
from django_celery_results.models import get_group_result_model, get_task_result_model
from tests.reliability.support import record_figures

PICKLE = "application/x-python-serialize"

pytestmark = pytest.mark.django_db


class CreatesMarkerWhenUnpickled:
    """An object whose unpickling creates ``path`` (an ``open(path, "w")`` call)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


@pytest.fixture
def marker(tmp_path) -> Path:
    path = tmp_path / "unpickled"
    yield path
    assert not path.exists(), "a stored pickle was unpickled"


@pytest.fixture
def payload(marker) -> str:
    """The base64 text of a live pickle, as the backend stores binary content."""
    raw = pickle.dumps(CreatesMarkerWhenUnpickled(marker))
    pickle.loads(raw).close()  # the payload is live: unpickling it does create the file
    assert marker.exists()
    marker.unlink()
    return base64.b64encode(raw).decode("ascii")


@pytest.fixture
def crafted_rows(payload, tenant_if_swapped):
    """A task row and a group row whose every stored column is the payload."""
    extra = {"tenant": tenant_if_swapped} if tenant_if_swapped else {}
    task = get_task_result_model()._default_manager.create(
        task_id="crafted-task",
        task_name="tests.testapp.tasks.add",
        status=states.SUCCESS,
        content_type=PICKLE,
        content_encoding="binary",
        result=payload,
        meta=payload,
        task_args=payload,
        task_kwargs=payload,
        **extra,
    )
    group = get_group_result_model()._default_manager.create(
        group_id="crafted-group", content_type=PICKLE, content_encoding="binary", result=payload
    )
    return task, group


@pytest.fixture
def tenant_if_swapped(db):
    if get_task_result_model()._meta.label != "testapp.TaskResult":
        return None
    from tests.testapp.models import Tenant

    return Tenant.objects.create(name="acme")


@pytest.fixture
def pickled_by_celery(marker, celery_app):
    """A result stored by the backend with Celery's pickle serializer."""
    backend = DatabaseBackend(app=celery_app, serializer="pickle")
    backend.store_result("pickled-by-celery", CreatesMarkerWhenUnpickled(marker), states.SUCCESS)
    row = get_task_result_model()._default_manager.get(task_id="pickled-by-celery")
    assert (row.content_type, row.content_encoding) == (PICKLE, "binary")
    return row


def api_pages(task_id: str, group_id: str) -> list[str]:
    return [
        reverse("results_api:task-list"),
        reverse("results_api:task-list") + f"?task_id={task_id}",
        reverse("results_api:task-detail", args=[task_id]),
        reverse("results_api:task-stats") + "?group_by=status,task_name",
        reverse("results_api:group-list"),
        reverse("results_api:group-detail", args=[group_id]),
    ]


def admin_pages(task, group) -> list[str]:
    task_opts, group_opts = task._meta, group._meta
    task_admin = f"admin:{task_opts.app_label}_{task_opts.model_name}"
    group_admin = f"admin:{group_opts.app_label}_{group_opts.model_name}"
    return [
        reverse(f"{task_admin}_changelist"),
        reverse(f"{task_admin}_changelist") + "?q=crafted",
        reverse(f"{task_admin}_change", args=[task.pk]),
        reverse(f"{group_admin}_changelist"),
        reverse(f"{group_admin}_change", args=[group.pk]),
    ]


def test_the_api_shows_a_crafted_pickle_as_null_without_unpickling_it(
    admin_client, crafted_rows, marker
):
    task, group = crafted_rows
    for url in api_pages(task.task_id, group.group_id):
        response = admin_client.get(url)
        assert response.status_code == 200, (url, response.content[:500])
        assert not marker.exists(), url

    detail = admin_client.get(reverse("results_api:task-detail", args=[task.task_id])).json()
    assert detail["content_type"] == PICKLE
    assert [detail[name] for name in ("args", "kwargs", "result", "meta")] == [None] * 4
    group_detail = admin_client.get(reverse("results_api:group-detail", args=[group.group_id]))
    assert group_detail.json()["result"] is None


def test_the_admin_shows_a_crafted_pickle_without_unpickling_it(admin_client, crafted_rows, marker):
    task, group = crafted_rows
    for url in admin_pages(task, group):
        response = admin_client.get(url)
        assert response.status_code == 200, (url, response.content[:500])
        assert not marker.exists(), url
    record_figures(
        "untrusted_content",
        {
            "api_pages_requested": len(api_pages(task.task_id, group.group_id)),
            "admin_pages_requested": len(admin_pages(task, group)),
            "payloads_unpickled": 0,
        },
    )


def test_a_result_pickled_by_celery_is_served_as_null_by_the_api(
    admin_client, pickled_by_celery, marker
):
    url = reverse("results_api:task-detail", args=[pickled_by_celery.task_id])

    body = admin_client.get(url).json()

    assert (body["result"], body["content_type"]) == (None, PICKLE)
    assert not marker.exists()


def test_a_result_pickled_by_celery_is_shown_by_the_admin_without_unpickling(
    admin_client, pickled_by_celery, marker
):
    opts = pickled_by_celery._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pickled_by_celery.pk])

    assert admin_client.get(url).status_code == 200
    assert not marker.exists()


def test_the_status_views_refuse_to_decode_a_stored_pickle(crafted_rows, marker):
    """The JSON status views decode through the backend, which accepts JSON only."""
    client = Client(raise_request_exception=False)
    task, group = crafted_rows
    for url in (
        reverse("celery-task_status", args=[task.task_id]),
        reverse("celery-is_task_successful", args=[task.task_id]),
        reverse("celery-group_status", args=[group.group_id]),
    ):
        response = client.get(url)
        assert not marker.exists(), url
        assert b"unpickled" not in response.content


# Hostile stored content: whatever a worker can store, every page answers


def nested(levels: int, leaf=1) -> list:
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


def nested_secrets(levels: int) -> dict:
    value: dict = {"password": "hunter2"}
    for _ in range(levels):
        value = {"password": "hunter2", "inner": value}
    return value


# Each: how the backend stores it (result, state), as a worker would.
HOSTILE_CONTENT = {
    "a-result-900-levels-deep": (nested(900), states.SUCCESS),
    "secrets-900-levels-deep": (nested_secrets(900), states.SUCCESS),
    "a-result-stored-as-bytes": (b"\x00\xff\xfe binary", states.SUCCESS),
    "a-failure-whose-result-is-no-exception": ({"rows": [1, 2]}, states.FAILURE),
    "an-exception-naming-any-module": (
        {"exc_type": "system", "exc_module": "os", "exc_message": ["touch /tmp/x"]},
        states.FAILURE,
    ),
    "an-exception-with-a-deep-message": (
        {"exc_type": "E", "exc_module": "builtins", "exc_message": nested(900)},
        states.FAILURE,
    ),
    "a-lone-surrogate": ("\ud800 and \udfff", states.SUCCESS),
    "nan-and-infinity": ([float("nan"), float("inf")], states.SUCCESS),
}


def every_read_surface(row) -> list[str]:
    """The API, browsable API, export, stats, admin and status pages that show ``row``."""
    opts = row._meta
    admin_prefix = f"admin:{opts.app_label}_{opts.model_name}"
    detail = reverse("results_api:task-detail", args=[row.task_id])
    return [
        reverse("results_api:task-list"),
        reverse("results_api:task-list") + "?format=api",
        detail,
        detail + "?format=api",
        reverse("results_api:task-export"),
        reverse("results_api:task-stats") + "?group_by=status,task_name",
        reverse(f"{admin_prefix}_changelist"),
        reverse(f"{admin_prefix}_changelist") + f"?q={row.task_id}",
        reverse(f"{admin_prefix}_change", args=[row.pk]),
        reverse("celery-task_status", args=[row.task_id]),
        reverse("celery-is_task_successful", args=[row.task_id]),
    ]


def read_everything(client, url: str) -> tuple[int, bytes]:
    """Return the status and the whole body of ``url``, a streamed one included."""
    response = client.get(url)
    if getattr(response, "streaming", False):
        return response.status_code, b"".join(response.streaming_content)
    return response.status_code, response.content


@pytest.mark.parametrize(("result", "state"), HOSTILE_CONTENT.values(), ids=list(HOSTILE_CONTENT))
def test_every_read_surface_answers_whatever_a_worker_stored(
    admin_client, backend, result, state, tenant_if_swapped
):
    admin_client.raise_request_exception = False
    backend.store_result("hostile", result, state, traceback="Traceback: hostile")
    row = get_task_result_model()._default_manager.get(task_id="hostile")

    answers = {url: read_everything(admin_client, url) for url in every_read_surface(row)}

    failed = {url: body[:200] for url, (status, body) in answers.items() if status >= 500}
    assert not failed
    for url, (status, body) in answers.items():
        assert status in (200, 302), (url, status)
        assert b"hunter2" not in body, url


def test_a_deep_result_shows_its_first_levels_and_a_mark_in_the_api(admin_client, backend):
    from django_celery_results.content import TOO_DEEP

    backend.store_result("deep", nested(900), states.SUCCESS)

    result = admin_client.get(reverse("results_api:task-detail", args=["deep"])).json()["result"]

    depth = 0
    while isinstance(result, list):
        result, depth = result[0], depth + 1
    assert (result, depth) == (TOO_DEEP, 50)
