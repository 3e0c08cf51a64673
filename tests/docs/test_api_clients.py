"""docs/api.md's client and OpenAPI sections, run as written against a live server.

The settings and URL snippets set up a throwaway project; the server is
that project's ``runserver`` in a subprocess; the console lines, the Python
script and (in Chromium) the JavaScript run against it unchanged. ``export``
lines are the one exception: the test supplies those values (the server's
address, the token ``drf_create_token`` just printed).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.docs.snippets import Snippet, snippets
from tests.throwaway import ThrowawayProject

SECTIONS = ("Clients: scripts and front ends", "OpenAPI")
PASSWORD = "alice-password"
TASK_ID = "5d9f8002-812f-ca8b-ffe0-9811c0133cc1"
CHROMIUM = os.environ.get("CRA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

# One server per settings module; nothing here reads the suite's database.
pytestmark = pytest.mark.default_model

CELERY_APP = """\
import os

from celery import Celery

app = Celery("throwaway", broker=os.environ.get("CRA_REDIS_URL", "redis://127.0.0.1:6379/0"))
"""

SET_UP = f"""\
from django.contrib.auth import get_user_model
from django_celery_results.models import TaskResult

get_user_model().objects.create_user("alice", password={PASSWORD!r}, is_staff=True)
TaskResult.objects.store_result(
    "application/json", "utf-8", {TASK_ID!r}, '"boom"', "FAILURE", task_name="proj.tasks.sync"
)
"""


def all_snippets() -> list[Snippet]:
    return [snippet for heading in SECTIONS for snippet in snippets("docs/api.md", heading)]


def of_file(name: str) -> list[str]:
    """Return the Python snippets that open with ``# <name>`` (settings.py, urls.py)."""
    return [
        snippet.text
        for snippet in all_snippets()
        if snippet.language == "python" and snippet.text.startswith(f"# {name}\n")
    ]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """Start the project the docs set up; return its address, project and environment."""
    directory = tmp_path_factory.mktemp("docs-project")
    project = ThrowawayProject(directory)
    project.extra = "\n".join(
        [
            *of_file("settings.py"),
            'ALLOWED_HOSTS = ["127.0.0.1"]',
            'RESULTS_API = {**RESULTS_API, "REVOKE_ENABLED": True, '
            '"CELERY_APP": "throwaway_celery.app"}',
        ]
    )
    project.write()
    (directory / "throwaway_celery.py").write_text(CELERY_APP)
    with (directory / "throwaway_urls.py").open("a") as urls:
        urls.write("\n" + "\n".join(of_file("urls.py")))
    for arguments in (["migrate", "--no-input"], ["shell", "-c", SET_UP]):
        finished = project.run(*arguments)
        assert finished.returncode == 0, finished.stderr
    with project.serve("/api/schema/") as address:
        environment = {**project.environment(), "SITE": address, "RESULTS_PASSWORD": PASSWORD}
        yield {"address": address, "project": project, "environment": environment}


def run_console(snippet: Snippet, site: dict[str, Any], cwd: Path) -> list[str]:
    """Run a console block's commands in order; return the output of each."""
    environment, project = site["environment"], site["project"]
    outputs = []
    for line in snippet.text.splitlines():
        if not line.startswith("$ "):
            continue  # the output the docs show
        command = line[2:]
        if command.startswith("export "):
            names = {pair.split("=")[0] for pair in shlex.split(command)[1:]}
            assert names <= set(environment), f"the test supplies no value for {names}"
            continue
        if command.startswith("python manage.py "):
            finished = project.run(*shlex.split(command)[2:])
        else:
            finished = subprocess.run(
                ["bash", "-c", command],
                cwd=cwd,
                env=environment,
                capture_output=True,
                text=True,
                timeout=60,
            )
        assert finished.returncode == 0, f"{command}\n{finished.stdout}\n{finished.stderr}"
        token = re.search(r"Generated token (\w+) for user", finished.stdout)
        if token:
            environment["RESULTS_TOKEN"] = token.group(1)
        outputs.append(finished.stdout)
    return outputs


def test_the_sections_hold_the_snippets_this_test_runs():
    languages = [snippet.language for snippet in all_snippets()]

    assert languages.count("console") == 3
    assert languages.count("javascript") == 1
    assert len(of_file("settings.py")) == 2
    assert len(of_file("urls.py")) == 1


def test_basic_and_token_authentication_from_the_console(site, tmp_path):
    basic, token = (s for s in snippets("docs/api.md", SECTIONS[0]) if s.language == "console")

    (failures,) = run_console(basic, site, tmp_path)
    *_, stats = run_console(token, site, tmp_path)

    assert TASK_ID in failures
    assert '"status":"FAILURE","count":1' in stats.replace(" ", "")


def test_the_python_script_lists_the_failures_with_a_token(site, tmp_path):
    token = [s for s in snippets("docs/api.md", SECTIONS[0]) if s.language == "console"][1]
    run_console(token, site, tmp_path)
    (script,) = (
        s.text
        for s in snippets("docs/api.md", SECTIONS[0])
        if s.language == "python" and not s.text.startswith("# ")
    )

    finished = subprocess.run(
        [sys.executable, "-c", script],
        env=site["environment"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.split()[:2] == [TASK_ID, "proj.tasks.sync"]


def test_the_schema_is_served_and_written_as_documented(site, tmp_path):
    (console,) = (s for s in snippets("docs/api.md", SECTIONS[1]) if s.language == "console")

    run_console(console, site, tmp_path)

    assert "/api/results/tasks/{task_id}/:" in (tmp_path / "openapi.yaml").read_text()
    written = site["project"].directory / "openapi.json"
    assert '"/api/results/tasks/stats/"' in written.read_text()
    with urllib.request.urlopen(f"{site['address']}/api/schema/swagger-ui/") as page:
        assert page.status == 200


@pytest.mark.slow
def test_the_front_end_reads_and_revokes_with_the_session_and_csrf_token(site):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {CHROMIUM} (scripts/services install provides it)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    (javascript,) = (s.text for s in all_snippets() if s.language == "javascript")
    call = (
        "(async () => { const rows = await latestFailures();"
        " return [rows, await revoke(rows[0].task_id)]; })()"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(f"{site['address']}/admin/login/?next=/admin/")
            page.fill("#id_username", "alice")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url("**/admin/")
            page.add_script_tag(content=javascript)
            rows, revoked = page.evaluate(call)
        finally:
            browser.close()

    assert [row["task_id"] for row in rows] == [TASK_ID]
    assert revoked == {"task_id": TASK_ID, "terminate": False}
