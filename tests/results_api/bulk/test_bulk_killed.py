"""A bulk retry whose process is killed half-way: confirmed again, it sends each task once.

The run is carried out by a separate Python process (the way a web worker
would), which the test kills with SIGKILL once the first batch is
committed; the same preview is then confirmed again here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import states
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from results_api.bulk.models import BulkAction

from .conftest import bulk_url

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
TASKS = 8
CHILD = """
import os
import django

django.setup()
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from tests.celery_app import app

app.conf.task_default_queue = os.environ["BULK_QUEUE"]
api = {
    "BULK_ACTIONS": ["retry"],
    "BULK_BATCH_SIZE": 2,
    # Long pauses between batches: time for the test to kill this process.
    "BULK_PAUSE_FACTOR": 500,
    "CELERY_APP": app,
}
with override_settings(RESULTS_API=api):
    client = Client()
    client.force_login(get_user_model().objects.get(username="root"))
    client.post(os.environ["BULK_URL"], {"token": os.environ["BULK_TOKEN"]},
                content_type="application/json")
"""


def test_a_run_killed_between_batches_resumes_and_retries_each_task_once(make_task, bulk_on, queue):
    for number in range(TASKS):
        make_task(
            task_id=f"f-{number}",
            status=states.FAILURE,
            task_args=json.dumps(f"({number},)"),
            task_kwargs=json.dumps("{}"),
        )
    root = APIClient()
    root.force_authenticate(get_user_model().objects.create_superuser("root"))
    url = bulk_url("retry", status=states.FAILURE)
    token = root.get(url).json()["token"]
    environment = {
        **os.environ,
        "CRA_DB_NAME": connection.settings_dict["NAME"],
        "BULK_QUEUE": queue.name,
        "BULK_URL": url,
        "BULK_TOKEN": token,
        "PYTHONPATH": str(ROOT),
    }
    child = subprocess.Popen([sys.executable, "-c", CHILD], env=environment, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not BulkAction.objects.filter(acted__gt=0).exists():
            assert child.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no batch was committed in 60 s"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    killed = BulkAction.objects.get()
    assert (killed.state, 0 < killed.acted < TASKS) == ("running", True)
    BulkAction.objects.update(leased_until=None)  # the dead process's lease has run out

    done = root.post(url, {"token": token}, format="json")

    assert (done.json()["acted"], done.json()["state"]) == (TASKS, "done")
    retried = sorted(message["retry_of"] for message in queue.messages())
    assert retried == sorted(f"f-{number}" for number in range(TASKS))
