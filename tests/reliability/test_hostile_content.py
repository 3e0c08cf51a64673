"""Hostile stored content, as a property: whatever a worker stores, every read surface answers.

Hypothesis draws what a worker could store: any value the worker's JSON
encoder accepts (deeply nested ones included), any bytes, an exception
mapping of any type and module, a live pickle, in any state, under any
content type. The backend stores it for two tenants' tasks (task ids
``alice-...`` and ``bob-...``, the scope hook
``tests.results_api.scopes.own_ids_only``) and a group of each; then every
read surface is requested as a superuser and as alice, a member who may
view task results but is not staff:

* the API: list, detail, export, stats, metadata, groups, the browsable
  API, and the dashboard's page;
* the admin: changelist (with a search) and change page;
* the status views: task and group, status and done.

Each answer must be no 5xx; no page may unpickle the payload (a marker
file would appear); alice's answers never show bob's row: a canary stored
in its task name, worker and traceback never appears in them, its detail
is a 404 and its status views answer as for an unknown task. (A group
lists the ids of its own tasks, whoever they belong to: ids, not rows.)
The number of examples and requests and the 5xx count are printed and
recorded.
"""

from __future__ import annotations

import base64
import json
import string
from collections import Counter
from pathlib import Path

import pytest
from celery import states
from celery.result import AsyncResult, GroupResult
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from kombu.exceptions import EncodeError
from rest_framework.test import APIClient

from django_celery_results.backends import DatabaseBackend
from django_celery_results.content import exceeds_depth
from django_celery_results.models import get_task_result_model
from tests.reliability.support import record_figures

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 30
PICKLE = "application/x-python-serialize"
FIGURES: Counter = Counter()


class CreatesMarkerWhenUnpickled:
    """An object whose unpickling creates ``path``."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


# What a worker can store

any_text = st.text(st.characters(codec=None), max_size=20)  # lone surrogates included
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats(allow_nan=True, allow_infinity=True)
    | any_text
    | st.sampled_from(["password", "=1+1", "x;=HYPERLINK(1)", "alice-0", "[", '"}'])
)
json_values = st.recursive(
    scalars | st.binary(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["password", "token", "n", "exc_type", "children"]) | any_text,
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


def nested(value, levels: int):
    for level in range(levels):
        value = [value] if level % 2 else {"password": "hunter2", "inner": value}
    return value


exception_mappings = st.fixed_dictionaries(
    {
        "exc_type": st.sampled_from(["ValueError", "system", "Nope", "a.b.C"]) | any_text,
        "exc_module": st.sampled_from(["builtins", "os", "subprocess", "this", None]) | any_text,
        "exc_message": json_values,
    }
)
results = st.sampled_from(["json", "deeply_nested", "exception_mapping", "bytes"]).flatmap(
    lambda kind: {
        "json": json_values,
        "deeply_nested": st.builds(nested, json_values, st.integers(min_value=40, max_value=900)),
        "exception_mapping": exception_mappings,
        "bytes": st.binary(max_size=64),
    }[kind]
)
content_types = st.sampled_from(
    [
        None,  # as the backend stored it
        "application/json",
        PICKLE,
        "application/x-yaml",
        "application/x-msgpack",
        "text/plain",
        "",
    ]
) | st.text(string.printable, max_size=30)
raw_texts = (
    st.none()
    | any_text.filter(lambda t: "\x00" not in t)
    | st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode())
)
stored = st.fixed_dictionaries(
    {
        "result": results,
        "state": st.sampled_from([*sorted(states.ALL_STATES), "PROGRESS"]),
        "serializer": st.sampled_from(["json", "json", "json", "pickle"]),
        # Most rows keep what the backend stored; some get a content type or a
        # text written over it, as by a foreign writer.
        "content_type": st.sampled_from([False, False, True]).flatmap(
            lambda changed: content_types if changed else st.none()
        ),
        "raw_result": st.sampled_from([False, False, False, True]).flatmap(
            lambda changed: raw_texts if changed else st.none()
        ),
        "traceback": st.none() | any_text.filter(lambda t: "\x00" not in t),
    }
)


# Who reads, and where


@pytest.fixture
def readers(db, settings, django_user_model, quiet_request_log):
    """A superuser's client and alice's (not staff, may view task results), scoped by id."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    settings.CELERY_RESULTS_SCOPE_QUERYSET = "tests.results_api.scopes.own_ids_only"
    settings.RESULTS_API = {
        **settings.RESULTS_API,
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }
    model = get_task_result_model()
    alice = django_user_model.objects.create_user("alice")
    alice.user_permissions.add(
        Permission.objects.get(
            content_type=ContentType.objects.get_for_model(model),
            codename=f"view_{model._meta.model_name}",
        )
    )
    clients = {}
    for name, user in (
        ("root", django_user_model.objects.create_superuser("root")),
        ("alice", alice),
    ):
        client = APIClient(raise_request_exception=False)
        client.force_login(user)
        clients[name] = client
    return clients


def surfaces(row, group_id: str) -> list[str]:
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
        reverse("results_api:task-stats") + "?group_by=exc_type,exc_pattern",
        reverse("results_api:task-metadata"),
        reverse("results_api:group-list"),
        reverse("results_api:group-detail", args=[group_id]),
        reverse("results_dashboard:index"),
        reverse(f"{admin_prefix}_changelist"),
        reverse(f"{admin_prefix}_changelist") + f"?q={row.task_id}",
        reverse(f"{admin_prefix}_change", args=[row.pk]),
        reverse("celery-task_status", args=[row.task_id]),
        reverse("celery-is_task_successful", args=[row.task_id]),
        reverse("celery-group_status", args=[group_id]),
        reverse("celery-is_group_successful", args=[group_id]),
    ]


def read(client, url: str) -> tuple[int, bytes]:
    FIGURES["requests"] += 1
    response = client.get(url)
    body = response.content if not response.streaming else b"".join(response.streaming_content)
    return response.status_code, body


def kind_of(drawn: dict) -> str:
    """Name what was drawn, for the figures."""
    result = drawn["result"]
    if drawn["serializer"] == "pickle":
        return "pickle"
    if drawn["raw_result"] is not None:
        return "raw_text"
    if isinstance(result, bytes):
        return "bytes"
    if isinstance(result, dict) and "exc_type" in result:
        return "exception_mapping"
    if exceeds_depth(result, 39):
        return "deeply_nested"
    return "json"


def store(backend_by_serializer, task_id: str, drawn: dict, marker: Path) -> bool:
    """Store ``drawn`` for ``task_id`` through the backend; False if the encoder refuses it."""
    backend = backend_by_serializer[drawn["serializer"]]
    result = drawn["result"]
    if drawn["serializer"] == "pickle":
        result = [result, CreatesMarkerWhenUnpickled(str(marker))]
    try:
        backend.store_result(task_id, result, drawn["state"], traceback=drawn["traceback"])
    except (EncodeError, ValueError, RecursionError):
        FIGURES["refused_by_the_encoder"] += 1
        return False
    FIGURES[f"stored_{kind_of(drawn)}"] += 1
    changes = {}
    if drawn["content_type"] is not None:
        changes["content_type"] = drawn["content_type"]
    if drawn["raw_result"] is not None:
        changes["result"] = drawn["raw_result"]
    if changes:
        get_task_result_model()._default_manager.filter(task_id=task_id).update(**changes)
    return True


@pytest.fixture(scope="module")
def recorded_figures():
    """Once the property test is done, record the examples run and the 5xx count."""
    yield
    if FIGURES:
        figures = record_figures(
            "hostile_content",
            {**FIGURES, "responses_5xx": FIGURES["status_5xx"], "max_examples": MAX_EXAMPLES},
        )
        assert figures["responses_5xx"] == 0


@given(mine=stored, theirs=stored)
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
    # Shrinking a failure re-runs dozens of requests per try: report the failure as found.
    phases=[Phase.explicit, Phase.generate],
)
@pytest.mark.slow  # 30 drawn contents over twenty surfaces: about ten seconds
def test_every_read_surface_answers_any_stored_content_without_leaking_or_unpickling(
    readers, celery_app, tmp_path, recorded_figures, mine, theirs
):
    marker = tmp_path / "unpickled"
    backends = {
        "json": DatabaseBackend(app=celery_app),
        "pickle": DatabaseBackend(app=celery_app, serializer="pickle"),
    }
    with transaction.atomic():
        number = FIGURES["examples"]
        own, other = f"alice-{number}", f"bob-{number}"
        if not (store(backends, own, mine, marker) and store(backends, other, theirs, marker)):
            transaction.set_rollback(True)
            return
        children = [AsyncResult(task_id, app=celery_app) for task_id in (own, other)]
        for group_id in (f"alice-g{number}", f"bob-g{number}"):
            backends["json"].save_group(group_id, GroupResult(group_id, children))
        model = get_task_result_model()._default_manager
        canary = f"canary-{other}"
        model.filter(task_id=other).update(
            task_name=canary, worker=canary, traceback=f"{theirs['traceback'] or ''}{canary}"
        )
        check_surfaces(readers, model.get(task_id=own), model.get(task_id=other), number, marker)
        transaction.set_rollback(True)
    FIGURES["examples"] += 1


def check_surfaces(readers, own, other, number: int, marker: Path) -> None:
    for reader, client in readers.items():
        for row, group_id in ((own, f"alice-g{number}"), (other, f"bob-g{number}")):
            for url in surfaces(row, group_id):
                status, body = read(client, url)
                FIGURES[f"status_{status // 100}xx"] += 1
                assert status < 500, (reader, url, body[:300])
                assert not marker.exists(), (reader, url)
                if reader == "alice":
                    assert f"canary-{other.task_id}".encode() not in body, (url, body[:300])
    alice = readers["alice"]
    detail = read(alice, reverse("results_api:task-detail", args=[other.task_id]))
    status = read(alice, reverse("celery-task_status", args=[other.task_id]))
    assert detail[0] == 404
    assert json.loads(status[1])["task"] == {
        "id": other.task_id,
        "status": "PENDING",
        "result": None,
    }
