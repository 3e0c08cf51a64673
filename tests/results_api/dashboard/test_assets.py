"""The dashboard's modules and style sheet as served: versioned imports, a project's overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from results_api.dashboard.assets import get_asset, module_graph

PACKAGE_FILES = (
    Path(__file__).resolve().parents[3] / "results_api/dashboard/static/results_api/dashboard"
)


@pytest.fixture
def staff(db) -> Client:
    user = get_user_model().objects.create_user("staff", password="x", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def project_static(settings, tmp_path) -> Path:
    """Install django.contrib.staticfiles with a project folder; return its dashboard folder."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django.contrib.staticfiles"]
    settings.STATIC_URL = "/static/"
    settings.STATICFILES_DIRS = [str(tmp_path)]
    folder = tmp_path / "results_api" / "dashboard"
    folder.mkdir(parents=True)
    return folder


def asset_url(name: str) -> str:
    return reverse("results_dashboard:asset", args=[name]) + f"?v={get_asset(name).version}"


def test_each_module_imports_its_neighbours_at_their_versions():
    main = get_asset("dashboard.js").content.decode()

    imported = re.findall(r'from "\./([\w.-]+\.js)\?v=([0-9a-f]{16})"', main)

    assert ("live.js", get_asset("live.js").version) in imported
    assert not re.search(r'from "\./[\w.-]+\.js"', main)


def test_the_page_runs_the_main_module_and_preloads_the_others(staff):
    html = staff.get(reverse("results_dashboard:index")).content.decode()

    assert f'<script src="{asset_url("dashboard.js")}" type="module"></script>' in html
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', html))
    modules = {path.name for path in PACKAGE_FILES.glob("*.js")}
    assert preloaded == {asset_url(name) for name in modules - {"dashboard.js"}}
    assert {asset.name for asset in module_graph()} == modules


def test_every_module_is_served_as_javascript_for_a_year(client):
    for asset in module_graph():
        response = client.get(asset_url(asset.name))
        assert response.status_code == 200, asset.name
        assert response["Content-Type"] == "text/javascript; charset=utf-8"
        assert response["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.fixture
def package_version() -> str:
    """Return the version of the package's own main module."""
    return get_asset("dashboard.js").version


def test_a_project_static_file_replaces_the_packages_module(
    package_version, project_static, client
):
    original = (PACKAGE_FILES / "dom.js").read_text()
    (project_static / "dom.js").write_text(original + "\n// the project's own\n")

    served = client.get(asset_url("dom.js"))

    assert served.content.decode().endswith("// the project's own\n")
    # Every module that imports it, up to the page's, has a new URL.
    assert get_asset("dashboard.js").version != package_version


def test_a_project_may_add_a_module_that_its_override_imports(project_static, client):
    (project_static / "extra.js").write_text("export const extra = 1;\n")
    (project_static / "dom.js").write_text(
        'import { extra } from "./extra.js";\n' + (PACKAGE_FILES / "dom.js").read_text()
    )

    assert f'"./extra.js?v={get_asset("extra.js").version}"' in get_asset("dom.js").content.decode()
    assert client.get(asset_url("extra.js")).status_code == 200


def test_a_project_template_replaces_the_packages_page(settings, tmp_path, staff):
    folder = tmp_path / "results_api" / "dashboard"
    folder.mkdir(parents=True)
    (folder / "dashboard.html").write_text(
        '<!doctype html><title>Our tasks</title><script src="{{ js_url }}" type="module"></script>'
    )
    settings.TEMPLATES = [
        {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [str(tmp_path)]}
    ]

    response = staff.get(reverse("results_dashboard:index"))

    assert response.status_code == 200
    assert response.content.decode().startswith("<!doctype html><title>Our tasks</title>")
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_without_a_template_of_the_project_the_packages_page_is_served(settings, staff):
    settings.TEMPLATES = []

    response = staff.get(reverse("results_dashboard:index"))

    assert response.status_code == 200
    assert 'id="dashboard-config"' in response.content.decode()


def test_files_outside_the_dashboards_folder_are_not_served(project_static, client):
    (project_static.parent / "secret.js").write_text("const secret = 1;\n")
    for name in ("..%2Fsecret.js", ".hidden.js", "dashboard.html", "secret.js"):
        assert client.get(f"/results/assets/{name}").status_code == 404, name
