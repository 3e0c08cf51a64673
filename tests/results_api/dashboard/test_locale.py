"""The dashboard in each language the package ships: its page from the catalogue, its script's
strings handed over in its config."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from results_api.dashboard.messages import MESSAGES
from tests.throwaway import ThrowawayProject

ROOT = Path(__file__).resolve().parents[3]
SCRIPTS = sorted((ROOT / "results_api/dashboard/static/results_api/dashboard").glob("*.js"))
# The chart's interval names reach t() as a variable.
DYNAMIC = {"minute", "hour", "day"}

# Accept-Language -> a string of the page itself, and the script's "Revoke".
PAGE = {
    "es": ("Quitar filtros", "Revocar"),
    "pt-br": ("Limpar filtros", "Revogar"),
    "ru": ("Сбросить фильтры", "Отозвать"),
    "zh-hans": ("清除过滤条件", "撤销"),
}


@pytest.fixture
def staff(db) -> Client:
    user = get_user_model().objects.create_user("staff", password="x", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def test_every_string_the_script_translates_is_listed_for_the_catalogue():
    literals = {
        literal
        for script in SCRIPTS
        for literal in re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', script.read_text())
    }

    assert literals | DYNAMIC == set(MESSAGES)


@pytest.mark.parametrize("language", PAGE)
def test_the_dashboard_renders_in_the_requested_language(localised, staff, language):
    response = staff.get(reverse("results_dashboard:index"), HTTP_ACCEPT_LANGUAGE=language)

    page = response.content.decode()
    script_config = re.search(r'id="dashboard-config"[^>]*>(.*?)</script>', page, re.S)
    messages = json.loads(script_config.group(1))["messages"]
    assert response.status_code == 200
    assert f'<html lang="{language}">' in page
    assert PAGE[language][0] in page
    assert "Clear filters" not in page
    assert messages["Revoke"] == PAGE[language][1]
    # Left out: only the words a language writes as English does ("Worker", "Error" in Spanish).
    assert set(MESSAGES) - set(messages) <= {"Worker", "Error", "no"}


def test_in_english_the_script_keeps_its_own_strings(localised, staff):
    response = staff.get(reverse("results_dashboard:index"), HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Clear filters" in page
    assert '"messages": {}' in page


@pytest.fixture
def spanish_site(tmp_path) -> Iterator[str]:
    """Start a throwaway project with the dashboard and LocaleMiddleware; return its address."""
    project = ThrowawayProject(tmp_path / "site")
    project.extra = "\n".join(
        [
            'MIDDLEWARE.insert(1, "django.middleware.locale.LocaleMiddleware")',
            'ALLOWED_HOSTS = ["127.0.0.1"]',
        ]
    )
    project.write()
    with (project.directory / "throwaway_urls.py").open("a") as urls:
        urls.write('urlpatterns.append(path("results/", include("results_api.dashboard.urls")))\n')
    create = (
        "from django.contrib.auth import get_user_model; "
        "get_user_model().objects.create_user('alice', password='pw', is_staff=True)"
    )
    for arguments in (["migrate", "--no-input"], ["shell", "-c", create]):
        finished = project.run(*arguments)
        assert finished.returncode == 0, finished.stderr
    with project.serve("/admin/login/") as address:
        yield address


@pytest.mark.slow
@pytest.mark.default_model
def test_the_script_writes_its_strings_in_the_page_language(spanish_site):
    chromium = os.environ.get("CRA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {chromium} (scripts/services install provides it)")
        pytest.skip(f"no Chromium at {chromium}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = browser.new_context(extra_http_headers={"Accept-Language": "es"})
            page = context.new_page()
            page.goto(f"{spanish_site}/admin/login/?next=/results/")
            page.fill("#id_username", "alice")
            page.fill("#id_password", "pw")
            page.click("input[type=submit]")
            page.wait_for_selector("#results thead th")
            page.wait_for_selector("#chart .legend")  # drawn once the stats have been read
            headings = page.inner_text("#results thead")
            chart = page.inner_text("#chart")
            filters = page.inner_text("#filters")
        finally:
            browser.close()

    assert "Estado" in headings
    assert "Último cambio" in headings
    assert "Ninguna tarea cambió en este periodo." in chart
    assert "Quitar filtros" in filters
