"""The README's set-up, as written, gives a dashboard what it needs: names, workers, runtimes.

A throwaway project takes the README's settings and ``proj/celery.py``
unchanged; a real worker on Redis runs one task; the stored row must have
its name, its worker and a start time, so that its runtime is known.
"""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from tests.docs.snippets import snippets
from tests.throwaway import ThrowawayProject

# What a dashboard reads, and the setting without which each is null.
DASHBOARD_SETTINGS = {
    "CELERY_RESULT_BACKEND": "django-db",
    "CELERY_RESULT_EXTENDED": True,
    "CELERY_TASK_TRACK_STARTED": True,
}

TASKS = """\
import time

from proj.celery import app


@app.task
def add(x, y):
    time.sleep(0.2)
    return x + y
"""

READ_ROW = """\
from django_celery_results.models import TaskResult

row = TaskResult.objects.get()
runtime = (row.date_done - row.date_started).total_seconds()
print(row.status, row.task_name, bool(row.worker), runtime)
"""


def readme_block(opening: str) -> str:
    (block,) = (
        snippet.text
        for snippet in snippets("README.md", "Install")
        if snippet.language == "python" and snippet.text.startswith(opening)
    )
    return block


def test_the_readme_settings_name_every_setting_a_dashboard_needs():
    namespace = {"INSTALLED_APPS": [], "DATABASES": {"default": {}}}
    exec(readme_block("# settings.py\n"), namespace)

    assert {name: namespace.get(name) for name in DASHBOARD_SETTINGS} == DASHBOARD_SETTINGS


@pytest.mark.slow
@pytest.mark.worker
@pytest.mark.default_model
def test_a_task_run_on_the_readme_set_up_has_its_name_worker_and_runtime(tmp_path):
    project = ThrowawayProject(tmp_path / "site")
    project.apps.remove("django_celery_results")  # the README's settings add it
    project.apps.append("proj")
    queue = f"readme-{uuid.uuid4().hex[:8]}"
    project.extra = "\n".join(
        [
            readme_block("# settings.py\n"),
            "import os",
            'CELERY_BROKER_URL = os.environ.get("CRA_REDIS_URL", "redis://127.0.0.1:6379/0")',
            f"CELERY_TASK_DEFAULT_QUEUE = {queue!r}",
        ]
    )
    package = project.directory / "proj"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "celery.py").write_text(readme_block("# proj/celery.py\n"))
    (package / "tasks.py").write_text(TASKS)
    project.write()
    assert project.run("migrate", "--no-input").returncode == 0
    checked = project.run("check")
    assert "no issues" in checked.stdout, checked.stderr

    command = [sys.executable, "-m", "celery", "-A", "proj", "worker", "-P", "solo", "-Q", queue]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
    worker = subprocess.Popen(
        command,
        cwd=project.directory,
        env=project.environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        sent = project.run(
            "shell", "-c", "from proj.tasks import add; print(add.delay(2, 3).get(timeout=60))"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert sent.stdout.split()[-1] == "5", sent.stderr

    read = project.run("shell", "-c", READ_ROW)
    status, task_name, has_worker, runtime = read.stdout.split()[-4:]

    assert (status, task_name, has_worker) == ("SUCCESS", "proj.tasks.add", "True")
    assert float(runtime) >= 0.2
