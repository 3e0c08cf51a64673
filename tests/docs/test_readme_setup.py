"""The README's set-up, as written, gives a dashboard what it needs: names, workers, runtimes.

A throwaway project takes the README's settings and ``proj/celery.py``
unchanged; a real worker on Redis runs one task; the stored row must have
its name, its worker and a start time, so that its runtime is known. A
second one follows the README from an empty project to percentiles: its
custom model, migrations, the API, a worker and beat.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
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


def readme_block(opening: str, section: str = "Install") -> str:
    """Return the README's Python block of ``section`` that starts with ``opening``."""
    (block,) = (
        snippet.text
        for snippet in snippets("README.md", section)
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
    (package / "__init__.py").write_text(readme_block("# proj/__init__.py"))
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


CUSTOM_MODEL = "Your own TaskResult model"
API = "The results API"

TENANT_TASKS = """\
import time

from proj.celery import app


@app.task
def add(x, y, tenant_id=None):
    time.sleep(0.2)
    return x + y
"""

SEND = """\
from myapp.models import Tenant
from myapp.tasks import add

tenant = Tenant.objects.create(name="acme")
for _ in range(5):
    {anywhere}
"""

READ_STATS = """\
import json

from django.contrib.auth import get_user_model
from django.test import Client

client = Client()
client.force_login(get_user_model().objects.create_superuser("staff-{n}", password="x"))
print(json.dumps(client.get("/api/results/tasks/stats/?group_by=tenant").json()))
"""


def _start(project, *arguments: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "proj", *arguments, "-l", "WARNING"]
    return subprocess.Popen(
        command,
        cwd=project.directory,
        env=project.environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
@pytest.mark.worker
@pytest.mark.default_model
def test_the_readme_takes_an_empty_project_to_stats_with_percentiles(tmp_path):
    project = ThrowawayProject(tmp_path / "site")
    # Django's own apps only: the README's blocks add the store, the API and myapp.
    project.apps = [app for app in project.apps if app.startswith("django.contrib.")]
    queue = f"readme-{uuid.uuid4().hex[:8]}"
    # Waiting times need the send time: the README's own TRACK_SENT line, switched on.
    store_settings = readme_block("# settings.py\n")
    assert "# CELERY_RESULTS_TRACK_SENT = True" in store_settings
    store_settings = store_settings.replace(
        "# CELERY_RESULTS_TRACK_SENT", "CELERY_RESULTS_TRACK_SENT"
    )
    project.extra = "\n".join(
        [
            store_settings,
            readme_block("# settings.py\n", CUSTOM_MODEL),
            readme_block("# settings.py\n", API),
            # This machine's broker, a queue of this test's own, and a rollup that
            # folds results in at once (its defaults wait two minutes).
            "import os",
            'CELERY_BROKER_URL = os.environ.get("CRA_REDIS_URL", CELERY_BROKER_URL)',
            f"CELERY_TASK_DEFAULT_QUEUE = {queue!r}",
            'RESULTS_API = {"ROLLUP_LAG": 1, "ROLLUP_STEP": 1}',
        ]
    )
    proj, myapp = project.directory / "proj", project.directory / "myapp"
    proj.mkdir(parents=True)
    (proj / "__init__.py").write_text(readme_block("# proj/__init__.py"))
    celery_module = "\n".join(
        [readme_block("# proj/celery.py\n"), readme_block("# proj/celery.py,", API)]
    )
    # Beat's first run comes a whole period after it starts: a second here, not a minute.
    celery_module += '\napp.conf.beat_schedule["rollup-task-results"]["schedule"] = 1.0\n'
    (proj / "celery.py").write_text(celery_module)
    myapp.mkdir()
    (myapp / "__init__.py").write_text("")
    (myapp / "models.py").write_text(readme_block("# myapp/models.py", CUSTOM_MODEL))
    (myapp / "results.py").write_text(readme_block("# myapp/results.py", CUSTOM_MODEL))
    (myapp / "tasks.py").write_text(TENANT_TASKS)
    project.write()

    assert project.run("makemigrations", "myapp").returncode == 0
    assert project.run("migrate", "--no-input").returncode == 0
    checked = project.run("check")
    assert checked.stdout.strip() == "System check identified no issues (0 silenced).", (
        checked.stdout + checked.stderr
    )

    anywhere = readme_block("# anywhere", CUSTOM_MODEL).splitlines()[-1]
    worker = _start(project, "worker", "-P", "solo", "-Q", queue, "--without-gossip",
                    "--without-mingle", "--without-heartbeat")  # fmt: skip
    beat = _start(project, "beat", "-s", str(tmp_path / "beat-schedule"))
    try:
        sent = project.run("shell", "-c", SEND.format(anywhere=anywhere))
        assert sent.returncode == 0, sent.stderr
        stats = _stats_with_percentiles(project)
    finally:
        for process in (beat, worker):
            process.terminate()
            process.wait(timeout=30)

    (row,) = stats["results"]
    assert row["count"] == 5
    for name in ("runtime_p50", "runtime_p95", "wait_p50", "wait_p95"):
        assert row[name] is not None, row


def _stats_with_percentiles(project, timeout: float = 90) -> dict:
    """Read tasks/stats/ until its row has percentiles (the rollup has run), or time out."""
    deadline, stats = time.monotonic() + timeout, {}
    for n in range(10_000):
        read = project.run("shell", "-c", READ_STATS.format(n=n))
        stats = json.loads(read.stdout.strip().splitlines()[-1])
        rows = stats["results"]
        if len(rows) == 1 and rows[0]["count"] == 5 and rows[0]["runtime_p50"] is not None:
            return stats
        if time.monotonic() > deadline:
            break
        time.sleep(1)
    return stats
