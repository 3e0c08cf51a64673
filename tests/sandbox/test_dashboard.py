"""The dashboard page in a real browser: Playwright driving Debian's Chromium, headless.

Playwright's own browser download does not work here, so the browser is
Debian's ``chromium`` package (``scripts/services install`` installs it),
launched by path. Screenshots go to ``var/test-output/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from .harness import PASSWORD, TASK_TIMEOUT, Sandbox, wait_for, wait_for_tenant_rows

# Each starts ./sandbox/run and a browser: long runs.
pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("CRA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TIMEOUT_MS = 30_000


def _missing(reason: str) -> None:
    """Fail in CI, where the browser must be there; skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (scripts/services install and pip install -e .[test] provide it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Return a headless Chromium, driven by Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    if not Path(CHROMIUM).exists():
        _missing(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def output_dir() -> Path:
    """Return the folder for screenshots: ``var/test-output/``."""
    path = Path(settings.VAR) / "test-output"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(browser: Any, sandbox: Sandbox) -> Iterator[Any]:
    """Return a fresh page; fail the test on any JavaScript error or failed API request."""
    wait_for_tenant_rows(sandbox, tenants=3)
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and not response.url.endswith("/favicon.ico")
            and problems.append(f"{response.status} from {response.url}")
        ),
    )
    try:
        yield page
        assert not problems, problems
    finally:
        context.close()


def log_in(page: Any, sandbox: Sandbox, username: str) -> None:
    """Open the dashboard, log in through Django's log-in page, and wait for the table."""
    page.goto(sandbox.url + "/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(sandbox.url + "/")
    page.wait_for_selector("#results tbody tr")


def tenant_cells(page: Any) -> list[str]:
    """Return the tenant column of the results table."""
    return page.locator("#results tbody td.tenant").all_inner_texts()


def row_ids(page: Any) -> list[str]:
    """Return the task ids of the results table, top to bottom."""
    return page.eval_on_selector_all("#results tbody tr", "rows => rows.map(r => r.dataset.taskId)")


def test_staff_picks_a_tenant_sees_only_its_rows_and_opens_a_detail(
    page: Any, sandbox: Sandbox, output_dir: Path
) -> None:
    log_in(page, sandbox, "admin")
    assert page.locator("#filter-tenant").is_enabled()
    page.wait_for_function(
        "new Set([...document.querySelectorAll('#results tbody td.tenant')]"
        ".map(td => td.textContent)).size >= 2"
    )

    page.select_option("#filter-tenant", label="Globex")
    page.wait_for_function(
        "(() => { const cells = [...document.querySelectorAll('#results tbody td.tenant')];"
        " return cells.length > 0 && cells.every(td => td.textContent === 'Globex'); })()"
    )
    assert "tenant=" in page.url
    assert set(tenant_cells(page)) == {"Globex"}
    # Counts by status and the chart come from tasks/stats/.
    page.wait_for_selector("#counts button[data-status='SUCCESS']")
    page.wait_for_selector("#chart-svg rect.bar")

    page.locator("#results tbody tr").first.click()
    detail = page.locator("#detail")
    detail.wait_for(state="visible")
    page.wait_for_function("document.querySelector('#detail-kwargs').textContent.length > 1")
    assert "tenant_id" in page.inner_text("#detail-kwargs")
    assert "Globex" in page.inner_text("#detail-fields")
    task_id = page.locator("#results tbody tr.selected").get_attribute("data-task-id")
    assert task_id and task_id in page.inner_text("#detail-fields")

    page.screenshot(path=str(output_dir / "sandbox-dashboard.png"), full_page=True)


def test_tenant_login_is_fixed_to_its_own_tenant(
    page: Any, sandbox: Sandbox, output_dir: Path
) -> None:
    log_in(page, sandbox, "initech")
    assert page.locator("#filter-tenant").is_disabled()
    assert page.locator("#filter-tenant option").all_inner_texts() == ["Initech"]
    assert set(tenant_cells(page)) == {"Initech"}
    page.screenshot(path=str(output_dir / "sandbox-dashboard-tenant.png"))


def test_dashboard_links_to_the_browsable_api_and_swagger_ui(page: Any, sandbox: Sandbox) -> None:
    log_in(page, sandbox, "acme")
    page.click("#link-swagger")
    page.wait_for_selector(".swagger-ui .opblock-tag", timeout=TIMEOUT_MS)
    assert "/api/results/tasks/" in page.content()

    page.go_back()
    page.click("#link-browsable-api")
    page.wait_for_selector("text=Task Result List")
    assert '"tenant"' in page.content()


def test_table_pages_through_the_api_cursor_links(page: Any, sandbox: Sandbox) -> None:
    wait_for(
        lambda: sandbox.query("SELECT COUNT(*) FROM tenants_taskresult")[0][0] > 30,
        TASK_TIMEOUT,
        "more than a page of results",
    )
    log_in(page, sandbox, "admin")
    page.uncheck("#live")  # no refresh between the reads below
    page.wait_for_load_state("networkidle")
    first_page = row_ids(page)
    assert len(first_page) == 25
    assert page.locator("#page-prev").is_disabled()

    page.click("#page-next")
    page.wait_for_function(
        f"document.querySelector('#results tbody tr').dataset.taskId !== {first_page[0]!r}"
    )
    assert not set(row_ids(page)) & set(first_page)
    assert page.locator("#page-prev").is_enabled()

    page.click("#page-prev")
    page.wait_for_function(
        f"document.querySelector('#results tbody tr').dataset.taskId === {first_page[0]!r}"
    )
    # A cursor page is keyed on the rows around it: going back gives the same rows again.
    assert row_ids(page) == first_page
