"""A group of 10,000 tasks behind gunicorn with its default limits (a 4,094-byte request line).

The dashboard once asked ``tasks/?task_id__in=<ids>`` for a group's tasks:
past about a hundred ids, gunicorn refused the request line (414) and the
group showed no task. A group's tasks now come from its own endpoint.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from django_celery_results.models import get_group_result_model, get_task_result_model
from tests.reliability.support import free_port, reliability_env, stop_process, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SIZE = 10_000


@pytest.fixture
def big_group():
    """A stored group of 10,000 stored tasks, and a staff user's session cookie."""
    ids = [f"member-{number:05d}-{'x' * 24}" for number in range(SIZE)]
    get_task_result_model()._default_manager.bulk_create(
        get_task_result_model()(
            task_id=task_id, status="SUCCESS", result="3", content_type="application/json"
        )
        for task_id in ids
    )
    children = [[[task_id, None], None] for task_id in ids]
    get_group_result_model()._default_manager.create(
        group_id="big-group",
        result=json.dumps([["big-group", None], children]),
        content_type="application/json",
    )
    user = get_user_model().objects.create_user("staff", password="x", is_staff=True)
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return ids, f"{settings.SESSION_COOKIE_NAME}={session}"


@pytest.fixture
def gunicorn(big_group):
    """gunicorn with its default limits serving the test project on the test database."""
    port = free_port()
    log = Path(settings.VAR) / f"gunicorn-{port}.log"
    env = reliability_env(
        CRA_DB_NAME=connection.settings_dict["NAME"],
        DJANGO_SETTINGS_MODULE="tests.reliability.server_settings",
    )
    command = [sys.executable, "-m", "gunicorn", "tests.reliability.wsgi:application",
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=output)
    try:
        wait_until(
            lambda: _get(port, "/api/results/groups/", big_group[1])[0] == 200, 60, what="gunicorn"
        )
        yield port
    finally:
        stop_process(process)
        connection.close()


def _get(port: int, path: str, cookie: str) -> tuple[int, bytes]:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path, headers={"Cookie": cookie, "Accept": "application/json"})
        answer = conn.getresponse()
        return answer.status, answer.read()
    except OSError:
        return 0, b""


def test_every_task_of_a_group_of_ten_thousand_loads_behind_default_gunicorn(gunicorn, big_group):
    ids, cookie = big_group
    seen, path = [], "/api/results/groups/big-group/tasks/?page_size=500"
    while path:
        status, body = _get(gunicorn, path, cookie)
        assert status == 200, body[:300]
        page = json.loads(body)
        seen += [row["task_id"] for row in page["results"]]
        path = page["next"] and page["next"].split(f":{gunicorn}", 1)[1]

    assert seen == ids


def test_the_ids_of_a_big_group_do_not_fit_in_a_request_line(gunicorn, big_group):
    ids, cookie = big_group

    status, _ = _get(gunicorn, f"/api/results/tasks/?task_id__in={','.join(ids[:200])}", cookie)

    assert status == 414  # why a group's tasks have an endpoint of their own
