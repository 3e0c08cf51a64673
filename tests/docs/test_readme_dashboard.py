"""The README's dashboard set-up, as written, serves a dashboard of the project's own model.

A throwaway project with a custom task result model (the test app's:
a ``tenant`` foreign key, a ``priority`` with choices, an ``attempt``
number) adds exactly the README's lines of "The dashboard" and nothing
else; its log-in, page, assets and the metadata the page builds its
controls from are then checked as a browser would ask for them.
"""

from __future__ import annotations

import json

import pytest

from tests.docs.snippets import snippets
from tests.throwaway import ThrowawayProject

URLS_HEAD = """\
from django.contrib import admin
from django.urls import include, path

urlpatterns = [path("admin/", admin.site.urls)]
"""

VISIT = """\
import json
import re

from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import setup_test_environment

from tests.testapp.models import TaskResult, Tenant

setup_test_environment()
acme = Tenant.objects.create(name="Acme")
TaskResult.objects.create(task_id="t-1", task_name="shop.bill", status="FAILURE", tenant=acme)
staff = get_user_model().objects.create_user("boss", password="x", is_staff=True)
client = Client()
answers = {"anonymous": client.get("/results/")["Location"]}
client.force_login(staff)
page = client.get("/results/")
answers["page"] = page.status_code
html = page.content.decode()
config = json.loads(re.search(r'dashboard-config" type="application/json">(.*?)<', html).group(1))
answers["api"] = config["api"]
script = re.search(r'<script src="([^"]+)"', html).group(1)
answers["script"] = client.get(script).status_code
fields = {f["name"]: f for f in client.get(config["api"]["tasks"] + "metadata/").json()["fields"]}
answers["tenant"] = fields["tenant"]["choices"]
answers["priority"] = [c["value"] for c in fields["priority"]["choices"]]
answers["attempt"] = fields["attempt"]["filters"]
print(json.dumps(answers))
"""


def readme_dashboard_block() -> tuple[str, str]:
    """Return the README's dashboard lines: those for urls.py, then those for settings.py."""
    (block,) = (
        snippet.text
        for snippet in snippets("README.md", "The dashboard")
        if snippet.language == "python"
    )
    urls, settings = block.split("# settings.py", 1)
    return urls, f"# settings.py{settings}"


@pytest.mark.slow
@pytest.mark.default_model
def test_a_project_set_up_as_the_readme_says_gets_a_dashboard_of_its_own_model(tmp_path):
    urls, settings = readme_dashboard_block()
    project = ThrowawayProject(tmp_path / "site")
    project.apps.append("tests.testapp")
    project.extra = settings + '\nCELERY_RESULTS_TASKRESULT_MODEL = "testapp.TaskResult"\n'
    project.write()
    (project.directory / "throwaway_urls.py").write_text(URLS_HEAD + urls)
    assert project.run("migrate", "--no-input").returncode == 0
    checked = project.run("check")
    assert checked.returncode == 0, checked.stderr

    visited = project.run("shell", "-c", VISIT)
    assert visited.returncode == 0, visited.stderr
    answers = json.loads(visited.stdout.strip().splitlines()[-1])

    assert answers["anonymous"] == "/admin/login/?next=/results/"
    assert answers["page"] == 200
    assert answers["api"] == {"tasks": "/api/results/tasks/", "groups": "/api/results/groups/"}
    assert answers["script"] == 200
    assert [choice["label"] for choice in answers["tenant"]] == ["Acme"]
    assert answers["priority"] == ["low", "normal", "high"]
    assert answers["attempt"]["gte"] == "attempt__gte"
