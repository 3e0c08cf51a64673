"""The dashboard that ships with results_api, used as a person would: Playwright driving Chromium.

The sandbox mounts it with one include (``results/``) and runs a real
worker; these tests log in through the project's own log-in page as staff
and as a tenant's member, and use every part of it: generated filters,
searches, sorting, dates in the project's time zone, the detail, groups,
revoke and retry, counts and chart, live updates, shareable links, a
phone's screen, the keyboard, and an axe-core scan. The polling cost is
measured and printed. Playwright's own browser download does not work here,
so the browser is Debian's ``chromium`` package (``scripts/services
install`` installs it), launched by path. Screenshots go to ``var/test-output/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from .harness import (
    PASSWORD,
    ROOT,
    TASK_TIMEOUT,
    Sandbox,
    kill_sandbox,
    process_tree,
    start_sandbox,
    wait_for,
    wait_for_tenant_rows,
)

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
# The project's time zone differs from the browser's, so a date shown in the
# browser's zone would be caught.
PROJECT_TIME_ZONE = "Asia/Kolkata"
BROWSER_TIME_ZONE = "America/New_York"
SCREEN = {"width": 1440, "height": 900}
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
DASHBOARD = "/results/"
PHONE = {"width": 390, "height": 844}
# The README's screenshot: narrow enough that its text still reads when GitHub scales it down.
README_SCREEN = {"width": 1100, "height": 1150}


def _missing(reason: str) -> None:
    """Fail in CI, where the browser must be there; skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (scripts/services install and pip install -e .[test] provide it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """Start the sandbox in a time zone of its own (not the browser's); stop it after."""
    running = start_sandbox(
        tmp_path_factory.mktemp("dashboard") / "var",
        {"SANDBOX_TIME_ZONE": PROJECT_TIME_ZONE},
    )
    try:
        yield running
    finally:
        kill_sandbox(running)


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
    """Return the folder for screenshots and measurements: ``var/test-output/``."""
    path = Path(settings.VAR) / "test-output"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Pages:
    """Opens browser pages that fail the test on a JavaScript error or a failed request."""

    def __init__(self, browser: Any, sandbox: Sandbox) -> None:
        self.browser = browser
        self.sandbox = sandbox
        self.contexts: list[Any] = []
        self.problems: list[str] = []

    def open(self, username: str, path: str = DASHBOARD, viewport: dict | None = None) -> Any:
        """Return a page logged in as ``username`` through the log-in page, showing ``path``."""
        context = self.browser.new_context(
            viewport=viewport or {"width": 1440, "height": 1000},
            timezone_id=BROWSER_TIME_ZONE,
            # axe-core is injected as a script: the page's CSP allows only its own.
            bypass_csp=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))
        page.on(
            "response",
            lambda response: (
                response.status >= 400
                and "/favicon" not in response.url
                and self.problems.append(f"{response.status} from {response.url}")
            ),
        )
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(self.sandbox.url + path)
        assert "/accounts/login/" in page.url
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(re.escape(self.sandbox.url + DASHBOARD)))
        wait_for_table(page)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser: Any, sandbox: Sandbox, output_dir: Path) -> Iterator[Pages]:
    wait_for_tenant_rows(sandbox, tenants=3)
    opened = Pages(browser, sandbox)
    try:
        yield opened
        if opened.problems:
            # A server error's traceback is in the web server's log: kept whole beside the
            # screenshots, its end in the failure (pytest shortens an assertion's message).
            log = sandbox.var_dir / "log" / "web.log"
            if log.exists():
                shutil.copy(log, output_dir / "sandbox-web-at-failure.log")
            end = sandbox.log("web")
            pytest.fail(f"{opened.problems}\n--- web.log (end)\n{end}", pytrace=False)
    finally:
        opened.close()


def wait_for_table(page: Any) -> None:
    page.wait_for_selector(
        "#results tbody tr, #empty:not([hidden]), #groups-view:not([hidden]),"
        " #failures-view:not([hidden]), #names-view:not([hidden])"
    )


def column(page: Any, name: str) -> list[str]:
    """Return the cells of one column of the results table, top to bottom."""
    return page.locator(f"#results tbody td.col-{name}").all_inner_texts()


def row_ids(page: Any) -> list[str]:
    return page.eval_on_selector_all("#results tbody tr", "rows => rows.map(r => r.dataset.taskId)")


def tenants(sandbox: Sandbox) -> dict[str, tuple[int, str]]:
    """Return ``{slug: (id, name)}`` of the demo tenants."""
    return {
        slug: (pk, name)
        for pk, slug, name in sandbox.query("SELECT id, slug, name FROM tenants_tenant")
    }


def stored(sandbox: Sandbox, where: str, params: tuple = ()) -> list[tuple]:
    """Return (task_id, task_name, status, tenant slug) of the stored tasks matching ``where``."""
    return sandbox.query(
        "SELECT r.task_id, r.task_name, r.status, t.slug FROM tenants_taskresult r"
        f" LEFT JOIN tenants_tenant t ON t.id = r.tenant_id WHERE {where}"
        " ORDER BY r.date_created DESC",
        params,
    )


def wait_for_stored(sandbox: Sandbox, where: str, what: str) -> tuple:
    return wait_for(lambda: (stored(sandbox, where) or [None])[0], TASK_TIMEOUT, what)


def axe_violations(page: Any) -> list[dict]:
    """Run axe-core in the page; return its serious and critical violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


# ---------------------------------------------------------------- filters generated from the model


def test_staff_filter_by_tenant_from_a_select_the_model_generated(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    page = pages.open("admin")
    names = {name for _pk, name in tenants(sandbox).values()}
    tenant_select = page.locator("#filter-tenant")
    # The tenant select comes from tasks/metadata/: the model's ForeignKey, not page code.
    assert page.locator("label:has(#filter-tenant)").inner_text().startswith("Tenant")
    assert set(tenant_select.locator("option").all_inner_texts()) == {"any", *names}
    page.wait_for_function(
        "new Set([...document.querySelectorAll('#results td.col-tenant')]"
        ".map(td => td.textContent)).size >= 2"
    )

    tenant_select.select_option(label="Globex")
    page.wait_for_function(
        "(() => { const cells = [...document.querySelectorAll('#results td.col-tenant')];"
        " return cells.length > 0 && cells.every(td => td.textContent === 'Globex'); })()"
    )
    globex_id = tenants(sandbox)["globex"][0]
    assert f"tenant={globex_id}" in page.url
    page.screenshot(path=str(output_dir / "dashboard-staff.png"), full_page=True)


def test_a_shared_link_reopens_the_same_filters_order_and_detail(
    pages: Pages, sandbox: Sandbox
) -> None:
    task_id, *_ = wait_for_stored(sandbox, "r.status = 'SUCCESS'", "a successful task")
    globex_id = tenants(sandbox)["globex"][0]
    path = f"{DASHBOARD}?tenant={globex_id}&status=SUCCESS&ordering=task_name&task={task_id}"
    page = pages.open("admin", path)
    # After the log-in, the page is the one the link named.
    assert page.url.endswith(path)
    assert page.locator("#filter-tenant").input_value() == str(globex_id)
    assert page.locator("#filter-status").input_value() == "SUCCESS"
    assert page.locator("th[data-field=task_name]").get_attribute("aria-sort") == "ascending"
    page.locator("#detail").wait_for(state="visible")
    page.wait_for_function(
        f"document.querySelector('#detail-fields').textContent.includes({task_id!r})"
    )
    assert set(column(page, "status")) == {"SUCCESS"}
    assert column(page, "task_name") == sorted(column(page, "task_name"))


def test_a_task_whose_id_names_an_api_route_opens_in_the_detail(
    pages: Pages, sandbox: Sandbox
) -> None:
    """``stats`` is a valid task id: the detail reads that task, not tasks/stats/."""
    task_id, *_ = wait_for_stored(sandbox, "r.status = 'SUCCESS'", "a successful task")
    connection = sqlite3.connect(sandbox.var_dir / "sandbox.sqlite3", timeout=20)
    columns = ", ".join(
        name
        for _, name, *_ in connection.execute("PRAGMA table_info(tenants_taskresult)")
        if name not in ("id", "task_id")
    )
    with connection:
        connection.execute(
            f"INSERT INTO tenants_taskresult (task_id, {columns})"
            f" SELECT 'stats', {columns} FROM tenants_taskresult WHERE task_id = ?",
            (task_id,),
        )
    connection.close()

    page = pages.open("admin", f"{DASHBOARD}?task=stats")

    page.locator("#detail").wait_for(state="visible")
    page.wait_for_function(
        "document.querySelector('#detail-fields').textContent.includes('stats')"
        " && document.querySelector('#detail-title').textContent !== 'No such task'"
    )


def test_a_member_sees_only_their_tenant_whatever_the_link_says(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    ids = tenants(sandbox)
    acme_id, acme_name = ids["acme"]
    globex_id, globex_name = ids["globex"]
    other_task, *_ = wait_for_stored(sandbox, "t.slug = 'globex'", "a Globex task")
    seen_rows: list[dict] = []

    def collect(response: Any) -> None:
        path = response.url.split("?")[0]
        if response.status != 200 or not path.startswith(f"{sandbox.url}/api/results/tasks/"):
            return
        if path.endswith(("/stats/", "/metadata/")):
            return
        try:
            body = response.json()
        except PlaywrightError:  # a page left before its answer was read shows nothing
            return
        seen_rows.extend(body.get("results", [body]))

    from playwright.sync_api import Error as PlaywrightError

    page = pages.open("acme")
    page.on("response", collect)
    # The generated tenant select offers only what the scope lets this user see.
    assert page.locator("#filter-tenant option").all_inner_texts() == ["any", acme_name]
    assert set(column(page, "tenant")) == {acme_name}
    page.screenshot(path=str(output_dir / "dashboard-tenant.png"), full_page=True)

    # Someone else's tenant in the link: the API's scope leaves nothing to show.
    page.goto(f"{sandbox.url}{DASHBOARD}?tenant={globex_id}")
    page.locator("#empty").wait_for(state="visible")
    # Someone else's task in the link: no such task, as far as this user can tell.
    page.goto(f"{sandbox.url}{DASHBOARD}?task={other_task}")
    page.wait_for_function("document.querySelector('#detail-title').textContent === 'No such task'")
    page.goto(f"{sandbox.url}{DASHBOARD}?view=groups")
    page.locator("#groups-empty").wait_for(state="visible")
    page.goto(f"{sandbox.url}{DASHBOARD}")
    wait_for_table(page)
    page.wait_for_timeout(6000)  # a live update or two
    assert seen_rows
    assert {row.get("tenant") for row in seen_rows} == {acme_id}
    assert globex_name not in page.content()
    pages.problems[:] = [p for p in pages.problems if "404 from" not in p or other_task not in p]


# ---------------------------------------------------------------- search and sort


def test_search_by_task_id_prefix_exact_id_and_name(pages: Pages, sandbox: Sandbox) -> None:
    task_id, task_name, *_ = wait_for_stored(sandbox, "r.status = 'SUCCESS'", "a task")
    page = pages.open("admin")
    page.uncheck("#live")

    page.fill("#search-id", task_id[:5])
    page.press("#search-id", "Enter")
    page.wait_for_function(
        "[...document.querySelectorAll('#results tbody tr')]"
        f".every(r => r.dataset.taskId.startsWith({task_id[:5]!r}))"
    )
    assert task_id in row_ids(page)
    assert f"id={task_id[:5]}" in page.url

    page.fill("#search-id", task_id)
    page.press("#search-id", "Enter")
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length === 1")
    assert row_ids(page) == [task_id]

    page.fill("#search-id", "")
    fragment = task_name.split(".")[-1][:6].upper()  # any case
    page.fill("#search-name", fragment)
    page.press("#search-name", "Enter")
    page.wait_for_function(
        f"(() => {{ const cells = [...document.querySelectorAll('#results td.col-task_name')];"
        " return cells.length > 0 && cells.every("
        f"td => td.textContent.toUpperCase().includes({fragment!r})); }})()"
    )


def test_column_headers_sort_through_the_apis_ordering(pages: Pages, sandbox: Sandbox) -> None:
    page = pages.open("admin")
    page.uncheck("#live")
    page.click("th[data-field=task_name] button")
    page.wait_for_function("location.search.includes('ordering=-task_name')")
    page.wait_for_function(
        "document.querySelector('th[data-field=task_name]')"
        ".getAttribute('aria-sort') === 'descending'"
    )
    names = column(page, "task_name")
    assert names == sorted(names, reverse=True)

    page.click("th[data-field=task_name] button")
    page.wait_for_function(
        "document.querySelector('th[data-field=task_name]')"
        ".getAttribute('aria-sort') === 'ascending'"
    )
    names = column(page, "task_name")
    assert names == sorted(names)
    # The extra field sorts too: the tenant's key, from the model.
    page.click("th[data-field=tenant] button")
    page.wait_for_function("location.search.includes('ordering=-tenant')")


# ---------------------------------------------------------------- dates, detail, groups


def test_dates_are_shown_in_the_projects_time_zone_with_relative_times(
    pages: Pages, sandbox: Sandbox
) -> None:
    page = pages.open("admin")
    page.uncheck("#live")
    assert PROJECT_TIME_ZONE in page.inner_text("th[data-field=date_created]")
    first = page.locator("#results tbody tr").first
    task_id = first.get_attribute("data-task-id")
    shown = first.locator("td.col-date_created .full").inner_text()
    relative = first.locator("td.col-date_created .rel").inner_text()
    (created,) = sandbox.query(
        "SELECT date_created FROM tenants_taskresult WHERE task_id = ?", (task_id,)
    )[0]
    moment = datetime.fromisoformat(str(created)).replace(tzinfo=timezone.utc)
    expected = moment.astimezone(ZoneInfo(PROJECT_TIME_ZONE)).strftime("%Y-%m-%d %H:%M:%S")
    assert shown.startswith(expected), (shown, expected)
    assert re.fullmatch(r"(now|\d+ (seconds?|minutes?|hours?) ago)", relative), relative


def test_detail_shows_arguments_result_traceback_meta_runtime_and_times(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    task_id, *_ = wait_for_stored(
        sandbox, "r.status = 'FAILURE' AND r.task_name = 'crm.sync_contacts'", "a failed sync"
    )
    for username, slug in (("admin", None), ("acme", "acme")):
        if slug:
            task_id, *_ = wait_for_stored(
                sandbox, "r.status = 'FAILURE' AND t.slug = 'acme'", "a failed Acme task"
            )
        page = pages.open(username, f"{DASHBOARD}?task={task_id}")
        page.locator("#detail").wait_for(state="visible")
        page.wait_for_function("document.querySelector('#detail-traceback').textContent.length > 1")
        assert "Traceback (most recent call last)" in page.inner_text("#detail-traceback")
        assert "tenant_id" in page.inner_text("#detail-kwargs")
        assert page.inner_text("#detail-args") not in ("", "—")
        assert "exc_type" in page.inner_text("#detail-result")
        assert "children" in page.inner_text("#detail-meta")
        fields = page.inner_text("#detail-fields")
        for label in ("Task id", "Runtime", "Created", "Started", "Done", "Tenant", "Worker"):
            assert label in fields
        assert task_id in fields
        assert re.search(r"\d+(\.\d+)? (ms|s)", fields)
        if username == "admin":
            page.screenshot(path=str(output_dir / "dashboard-detail.png"), full_page=False)


def test_a_failure_reads_as_its_exception_type_and_message_in_the_detail_and_its_row(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    task_id, *_ = wait_for_stored(
        sandbox, "r.status = 'FAILURE' AND r.task_name = 'crm.sync_contacts'", "a failed sync"
    )
    headline = re.compile(r"^UpstreamUnavailable: CRM API answered 503 Service Unavailable")
    page = pages.open("admin", f"{DASHBOARD}?status=FAILURE&task={task_id}", viewport=SCREEN)
    page.locator("#detail").wait_for(state="visible")
    page.wait_for_function("document.querySelector('#detail-error').textContent.length > 1")
    assert headline.match(page.inner_text("#detail-error"))
    row = page.locator(f'tr[data-task-id="{task_id}"] td.col-error')
    row.wait_for()
    assert headline.match(row.inner_text())
    page.screenshot(path=str(output_dir / "dashboard-failure.png"), full_page=False)


def test_with_counts_and_chart_hidden_15_one_line_rows_fit_a_1440x900_screen(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    wait_for(lambda: len(stored(sandbox, "TRUE")) >= 25 or None, TASK_TIMEOUT, "25 results")
    page = pages.open("admin", f"{DASHBOARD}?live=0", viewport=SCREEN)
    page.click("#overview-toggle")
    assert "overview=hidden" in page.url
    assert page.get_attribute("#overview-toggle", "aria-expanded") == "false"
    page.reload()
    wait_for_table(page)
    assert page.locator("#overview").is_hidden()  # remembered in the URL
    heights = page.eval_on_selector_all(
        "#results tbody tr", "rows => rows.map(row => row.getBoundingClientRect().height)"
    )
    cell_heights = page.eval_on_selector_all(
        "#results tbody td", "cells => cells.map(cell => cell.getBoundingClientRect().height)"
    )
    visible = page.eval_on_selector_all(
        "#results tbody tr",
        "rows => rows.filter(row => row.getBoundingClientRect().bottom <= 900).length",
    )
    page.screenshot(path=str(output_dir / "dashboard-dense.png"), full_page=False)
    assert max(heights) < 2 * min(cell_heights) + 4  # one line a row
    assert visible >= 15, visible
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    phone = pages.open("acme", f"{DASHBOARD}?live=0&overview=hidden", viewport=PHONE)
    top = phone.evaluate("document.querySelector('#results').getBoundingClientRect().top")
    phone.screenshot(path=str(output_dir / "dashboard-phone-dense.png"), full_page=False)
    assert top < 844, top  # the results start on the first screen


def test_groups_and_chords_list_their_tasks_states(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    wait_for(
        lambda: sandbox.query("SELECT COUNT(*) FROM django_celery_results_groupresult")[0][0] >= 2,
        TASK_TIMEOUT,
        "a group and a chord",
    )
    page = pages.open("admin", f"{DASHBOARD}?view=groups")
    page.wait_for_selector("#groups tbody tr .summary .badge")
    assert re.search(r"\d+ tasks:", page.locator("#groups tbody tr").first.inner_text())
    page.locator("#groups a.group-link").first.click()
    page.locator("#group-detail").wait_for(state="visible")
    page.wait_for_selector("#group-children li .badge")
    children = page.locator("#group-children li")
    assert children.count() >= 2
    assert set(page.locator("#group-children li .badge").all_inner_texts()) <= {
        "PENDING",
        "RECEIVED",
        "STARTED",
        "RETRY",
        "SUCCESS",
        "FAILURE",
        "REVOKED",
        "unknown",
    }
    assert "group=" in page.url
    page.screenshot(path=str(output_dir / "dashboard-groups.png"), full_page=True)
    # A child opens its own detail.
    children.first.locator("a.task-link").click()
    page.locator("#detail").wait_for(state="visible")


def test_the_groups_view_shows_when_each_group_was_last_saved_labelled_as_such(
    pages: Pages, sandbox: Sandbox
) -> None:
    """A group result's ``date_done`` is the time it was saved, not when its tasks finished."""
    wait_for(
        lambda: sandbox.query("SELECT COUNT(*) FROM django_celery_results_groupresult")[0][0] >= 1,
        TASK_TIMEOUT,
        "a group",
    )
    page = pages.open("admin", f"{DASHBOARD}?view=groups&live=0")
    page.wait_for_selector("#groups tbody tr")

    headers = page.locator("#groups thead th").all_inner_texts()
    assert headers == ["Group id", "Created", "Last saved", "Tasks"]
    first = page.locator("#groups tbody tr").first
    group_id = first.locator("a.group-link").get_attribute("data-group-id")
    saved_cell = first.locator("td").nth(2)
    assert saved_cell.get_attribute("data-label") == "Last saved"
    (saved,) = sandbox.query(
        "SELECT date_done FROM django_celery_results_groupresult WHERE group_id = ?", (group_id,)
    )[0]
    moment = datetime.fromisoformat(str(saved)).replace(tzinfo=timezone.utc)
    expected = moment.astimezone(ZoneInfo(PROJECT_TIME_ZONE)).strftime("%Y-%m-%d %H:%M:%S")
    shown = saved_cell.locator(".full").inner_text()
    assert shown.startswith(expected), (shown, expected)


# ---------------------------------------------------------------- revoke and retry


def test_retry_and_revoke_show_exactly_for_whom_and_when_the_api_allows(
    pages: Pages, sandbox: Sandbox
) -> None:
    failed, *_ = wait_for_stored(sandbox, "r.status = 'FAILURE' AND t.slug = 'acme'", "a failure")
    member = pages.open("acme", f"{DASHBOARD}?task={failed}")
    member.locator("#detail").wait_for(state="visible")
    member.wait_for_function("document.querySelector('#detail-fields').textContent.length > 0")
    assert member.locator("#detail-actions button").count() == 0  # staff only, as the API says

    staff = pages.open("admin", f"{DASHBOARD}?task={failed}")
    staff.locator("#detail-actions button[data-action=retry]").wait_for()
    assert staff.locator("#detail-actions button[data-action=revoke]").count() == 0  # finished
    staff.click("#detail-actions button[data-action=retry]")
    staff.wait_for_function(
        "document.querySelector('#detail-notice').textContent.startsWith('Sent again as')"
    )
    new_id = staff.locator("#detail-notice a").inner_text()
    wait_for(lambda: stored(sandbox, "r.task_id = ?", (new_id,)), TASK_TIMEOUT, "the retried task")

    # A slow task still running can be revoked (and terminated).
    running, *_ = wait_for_stored(
        sandbox,
        "r.status = 'STARTED' AND r.task_name = 'reports.generate_invoice_pdf'",
        "a running invoice",
    )
    staff.goto(f"{sandbox.url}{DASHBOARD}?task={running}")
    staff.locator("#detail-actions button[data-action=revoke]").wait_for()
    assert staff.locator("#detail-actions button[data-action=retry]").count() == 0
    staff.click("#detail-actions button[data-action=terminate]")
    staff.wait_for_function(
        "document.querySelector('#detail-notice').textContent.startsWith('Revoke sent')"
    )
    # REVOKED, unless the invoice was done before the workers heard of it.
    final = wait_for(
        lambda: stored(
            sandbox, "r.task_id = ? AND r.status IN ('REVOKED', 'SUCCESS', 'FAILURE')", (running,)
        ),
        TASK_TIMEOUT,
        "the revoked task's final state",
    )[0][2]
    # The open detail follows the task's new state through the live updates.
    staff.wait_for_function(
        f"document.querySelector('#detail-title .badge').textContent === {final!r}", timeout=60_000
    )
    assert staff.locator("#detail-actions button[data-action=revoke]").count() == 0


def test_a_bulk_retry_of_the_filtered_failures_is_previewed_then_done_and_recorded(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    failed, *_ = wait_for_stored(sandbox, "r.status = 'FAILURE' AND t.slug = 'acme'", "a failure")
    member = pages.open("acme", f"{DASHBOARD}?live=0")
    member.wait_for_selector("#results tbody tr")
    assert member.locator("#bulk").is_hidden()  # staff only, as the API says

    staff = pages.open("admin", f"{DASHBOARD}?live=0&status=FAILURE")
    staff.locator("#bulk").wait_for()
    staff.check(f'tr[data-task-id="{failed}"] input.select-row')
    assert staff.inner_text("#bulk-scope") == "Act on the 1 selected tasks"
    staff.select_option("#bulk-action", "retry")
    staff.click("#bulk button[type=submit]")
    staff.wait_for_function(
        "document.querySelector('#bulk-summary').textContent"
        ".startsWith('Retry: 1 tasks, of which 1')"
    )
    assert staff.locator("#bulk-confirm").is_visible()
    staff.screenshot(path=str(output_dir / "dashboard-bulk-preview.png"))
    staff.click("#bulk-confirm")
    staff.wait_for_function(
        "document.querySelector('#bulk-summary').textContent.startsWith('Done: 1 of 1')"
    )
    recorded = wait_for(
        lambda: sandbox.query(
            "SELECT change_message FROM django_admin_log WHERE change_message LIKE 'Bulk retry%'"
        ),
        TASK_TIMEOUT,
        "the bulk retry in the admin's history",
    )
    assert f"task_id__in={failed}" in recorded[0][0]


def test_a_bulk_confirmation_cut_off_on_its_way_back_resumes_the_same_run(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    """A proxy's timeout hides the outcome: confirming again answers it, without a second run."""
    failed, *_ = wait_for_stored(sandbox, "r.status = 'FAILURE' AND t.slug = 'acme'", "a failure")
    runs_before = sandbox.query("SELECT COUNT(*) FROM results_api_bulkaction")[0][0]
    staff = pages.open("admin", f"{DASHBOARD}?live=0&status=FAILURE")
    staff.locator("#bulk").wait_for()
    staff.check(f'tr[data-task-id="{failed}"] input.select-row')
    staff.select_option("#bulk-action", "retry")
    staff.click("#bulk button[type=submit]")
    staff.wait_for_function(
        "document.querySelector('#bulk-summary').textContent.startsWith('Retry: 1 tasks')"
    )
    cut_off = []

    def timed_out_once(route: Any) -> None:
        if route.request.method != "POST" or cut_off:
            route.continue_()
            return
        cut_off.append(route.fetch().status)  # the server acts; the page hears a gateway timeout
        route.fulfill(status=504, content_type="text/html", body="<html>504 Gateway Timeout</html>")

    staff.route("**/api/results/tasks/bulk/retry/?*", timed_out_once)
    staff.click("#bulk-confirm")
    staff.wait_for_function(
        "document.querySelector('#bulk-summary').textContent.startsWith('Not done (504)')"
    )

    assert cut_off == [200]
    assert "Confirm again" in staff.inner_text("#bulk-summary")
    assert staff.locator("#bulk-confirm").is_enabled()
    staff.screenshot(path=str(output_dir / "dashboard-bulk-cut-off.png"))
    staff.click("#bulk-confirm")
    staff.wait_for_function(
        "document.querySelector('#bulk-summary').textContent.startsWith('Done: 1 of 1')"
    )
    assert sandbox.query("SELECT COUNT(*) FROM results_api_bulkaction")[0][0] == runs_before + 1
    retried = sandbox.query(
        "SELECT COUNT(*) FROM results_api_bulkretry WHERE task_pk ="
        " (SELECT id FROM tenants_taskresult WHERE task_id = ?) AND run_id ="
        " (SELECT MAX(id) FROM results_api_bulkaction)",
        (failed,),
    )
    assert retried == [(1,)]
    # The 504 was the point: no problem of the page.
    pages.problems[:] = [problem for problem in pages.problems if not problem.startswith("504")]


def test_the_search_box_finds_tasks_by_their_content_and_says_why_each_matched(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    wait_for_stored(
        sandbox, "r.status = 'FAILURE' AND r.task_name = 'crm.sync_contacts'", "a CRM failure"
    )
    page = pages.open("admin", f"{DASHBOARD}?live=0")
    page.fill("#search-q", '"CRM API answered"')
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#results td.col-search_excerpt")

    assert "q=%22CRM+API+answered%22" in page.url  # the search is in the page's address
    names = set(page.locator("#results td.col-task_name").all_inner_texts())
    excerpts = page.locator("#results td.col-search_excerpt").all_inner_texts()
    assert names == {"crm.sync_contacts"}, names
    assert all("crm api answered" in excerpt.lower() for excerpt in excerpts), excerpts
    page.screenshot(path=str(output_dir / "dashboard-search.png"), full_page=False)
    page.reload()
    page.wait_for_selector("#results td.col-search_excerpt")
    assert page.input_value("#search-q") == '"CRM API answered"'

    page.fill("#search-q", "ab")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#error:not([hidden])")
    assert "search" in page.inner_text("#error") and "<" not in page.inner_text("#error")
    # The API's 400s for that term were the point: no problem of the page.
    pages.problems[:] = [p for p in pages.problems if "search=ab" not in p]


def test_failures_are_grouped_by_exception_and_message_pattern_with_a_link_to_their_tasks(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    wait_for_stored(
        sandbox, "r.status = 'FAILURE' AND r.task_name = 'crm.sync_contacts'", "a CRM failure"
    )
    page = pages.open("admin", f"{DASHBOARD}?view=failures&live=0")
    # Each failure names its own date; they count as one message pattern.
    pattern = "UpstreamUnavailable: CRM API answered # Service Unavailable for changes since #"
    row = page.locator("#failures tbody tr", has_text=pattern)
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == pattern and int(cells[1]) >= 1 and cells[2].strip() and cells[3].strip()
    page.screenshot(path=str(output_dir / "dashboard-failures.png"), full_page=False)

    row.locator("a").click()
    page.wait_for_selector("#results tbody tr")
    assert "exc_type=UpstreamUnavailable" in page.url and "exc_pattern=" in page.url
    statuses = set(page.locator("#results td.col-status").all_inner_texts())
    errors = page.locator("#results td.col-error").all_inner_texts()
    assert statuses == {"FAILURE"}, statuses
    prefix = "UpstreamUnavailable: CRM API answered 503 Service Unavailable for changes since "
    assert all(error.startswith(prefix) for error in errors), errors
    phone = pages.open("admin", f"{DASHBOARD}?view=failures&live=0", viewport=PHONE)
    phone.locator("#failures tbody tr", has_text=pattern).wait_for()
    phone.screenshot(path=str(output_dir / "dashboard-failures-phone.png"), full_page=False)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_each_task_name_has_its_counts_failure_rate_and_percentiles(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    wait_for_stored(
        sandbox, "r.status = 'SUCCESS' AND r.task_name = 'emails.send_welcome'", "a welcome"
    )
    page = pages.open("admin", f"{DASHBOARD}?view=names&live=0")
    row = page.locator("#names tbody tr", has_text="emails.send_welcome")
    row.wait_for()
    page.screenshot(path=str(output_dir / "dashboard-names.png"), full_page=False)
    _task, count, failures, rate, *_durations, last = row.locator("td").all_inner_texts()

    assert int(count) >= 1 and int(failures) >= 0 and rate.endswith("%"), (count, failures, rate)
    assert last.strip()
    phone = pages.open("admin", f"{DASHBOARD}?view=names&live=0", viewport=PHONE)
    phone.locator("#names tbody tr").first.wait_for()


def _workers(sandbox: Sandbox) -> list[int]:
    tree = process_tree(sandbox.process.pid)
    found = [pid for pid, command in tree.items() if "celery -A project worker" in command]
    assert found, tree
    return found


def test_queued_tasks_show_as_pending_can_be_revoked_and_show_their_wait(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    """The sandbox records tasks when sent: with the worker paused, they queue up as PENDING."""
    workers = _workers(sandbox)
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    try:
        wait_for(
            lambda: len(stored(sandbox, "r.status = 'PENDING'")) >= 2,
            TASK_TIMEOUT,
            "tasks queued while the worker is paused",
        )
        page = pages.open("admin", f"{DASHBOARD}?status=PENDING&live=0")
        page.wait_for_selector("#results tbody tr")
        assert set(column(page, "status")) == {"PENDING"}
        page.wait_for_selector("#counts button[data-status=PENDING]")
        assert "PENDING (queued)" in page.inner_text("#counts")
        page.screenshot(path=str(output_dir / "dashboard-queued.png"), full_page=False)
        queued, watched = row_ids(page)[-2:]  # the oldest two: they have waited longest

        page.goto(f"{sandbox.url}{DASHBOARD}?task={queued}&live=0")
        page.locator("#detail-actions button[data-action=revoke]").wait_for()
        # Not finished: its last change, not its end; and how long it has waited so far.
        terms = page.eval_on_selector_all(
            "#detail-fields dt", "dts => dts.map(dt => dt.textContent)"
        )
        assert any(term.startswith("Last change") for term in terms), terms
        assert not any(term.startswith("Done") for term in terms), terms
        waiting = page.evaluate(
            "[...document.querySelectorAll('#detail-fields dt')]"
            ".find(dt => dt.textContent === 'Waiting time').nextElementSibling.textContent"
        )
        assert waiting.endswith("so far"), waiting
        assert page.locator("#detail-actions button[data-action=retry]").count() == 0
        assert page.locator("#detail-actions button[data-action=terminate]").count() == 0
        page.click("#detail-actions button[data-action=revoke]")
        page.wait_for_function(
            "document.querySelector('#detail-notice').textContent.startsWith('Revoke sent')"
        )
        time.sleep(3)  # the queued tasks wait a little longer
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
    wait_for(
        lambda: stored(sandbox, "r.task_id = ? AND r.status = 'REVOKED'", (queued,)),
        TASK_TIMEOUT,
        "the queued task revoked",
    )
    # The other one ran once the worker came back: its detail shows how long it waited.
    wait_for(
        lambda: stored(sandbox, "r.task_id = ? AND r.status != 'PENDING'", (watched,)),
        TASK_TIMEOUT,
        "the queued task to start",
    )
    page.goto(f"{sandbox.url}{DASHBOARD}?task={watched}")
    page.wait_for_function(
        "document.querySelector('#detail-fields').textContent.includes('Waiting time')"
    )
    waited = page.evaluate(
        "[...document.querySelectorAll('#detail-fields dt')]"
        ".find(dt => dt.textContent === 'Waiting time').nextElementSibling.textContent"
    )
    number, unit = waited.split()
    assert unit in ("s", "min") and float(number) >= 3, waited


# ---------------------------------------------------------------- counts, chart, live updates


def test_counts_by_status_filter_the_table_and_the_chart_follows_its_range(
    pages: Pages, sandbox: Sandbox
) -> None:
    wait_for_stored(sandbox, "r.status = 'FAILURE'", "a failure")
    page = pages.open("admin")
    page.wait_for_selector("#counts button[data-status=SUCCESS]")
    page.wait_for_selector("#chart-svg rect.bar")
    assert page.inner_text("#chart-interval") == "minute"
    total = int(
        page.locator("#counts button[data-status='']")
        .locator("strong")
        .inner_text()
        .replace(",", "")
    )
    assert total > 0

    page.click("#counts button[data-status=FAILURE]")
    page.wait_for_function("location.search.includes('status=FAILURE')")
    page.wait_for_function(
        "(() => { const cells = [...document.querySelectorAll('#results td.col-status')];"
        " return cells.length > 0 && cells.every(td => td.textContent === 'FAILURE'); })()"
    )
    # The counts are drawn after their own answer, which may come after the table's.
    page.wait_for_selector("#counts button[data-status=FAILURE][aria-pressed=true]")

    page.select_option("#chart-range", "24h")
    page.wait_for_function("document.querySelector('#chart-interval').textContent === 'hour'")
    page.wait_for_selector("#chart-svg rect.bar")
    assert "range=24h" in page.url

    # A range of the "Done" filter, typed in the project's time zone, becomes the chart's.
    page.click("#more-filters summary")
    start = datetime.now(ZoneInfo(PROJECT_TIME_ZONE)).replace(microsecond=0) - timedelta(hours=2)
    page.fill("#filter-date_done__gte", start.strftime("%Y-%m-%dT%H:%M:%S"))
    page.wait_for_function("location.search.includes('date_done__gte=')")
    given = parse_qs(urlparse(page.url).query)["date_done__gte"][0]
    assert datetime.fromisoformat(given.replace("Z", "+00:00")) == start
    page.wait_for_function("document.querySelector('#chart-interval').textContent === 'minute'")
    page.wait_for_selector("#chart-svg rect.bar")
    assert page.locator("#chart-range").is_disabled()


def test_the_chart_is_titled_for_what_it_counts_each_tasks_last_change(pages: Pages) -> None:
    """The chart counts every task by the time of its last stored state, finished or not."""
    page = pages.open("admin", f"{DASHBOARD}?live=0")
    page.wait_for_selector("#chart-svg")

    assert page.inner_text("#chart-heading") == "Tasks by last change, per minute"
    label = page.get_attribute("#chart-svg", "aria-label")
    assert re.fullmatch(
        r"\d+ tasks last changed in the range, per minute; the largest minute had \d+\.", label
    ), label


def test_new_tasks_appear_without_a_reload(pages: Pages, sandbox: Sandbox) -> None:
    page = pages.open("admin")
    before = set(row_ids(page))
    page.wait_for_function(
        "[...document.querySelectorAll('#results tbody tr')]"
        f".some(r => !{json.dumps(sorted(before))}.includes(r.dataset.taskId))",
        timeout=60_000,
    )


def _api_traffic(page: Any, seconds: float) -> dict[str, Any]:
    """Record the API requests of ``page`` for ``seconds``; return counts and bytes per minute."""
    responses: list[Any] = []
    page.on(
        "response", lambda response: "/api/results/" in response.url and responses.append(response)
    )
    page.wait_for_timeout(seconds * 1000)
    statuses: dict[str, int] = {}
    transferred = 0
    for response in responses:
        statuses[str(response.status)] = statuses.get(str(response.status), 0) + 1
        sizes = response.request.sizes()
        transferred += (
            sizes["requestHeadersSize"] + sizes["responseHeadersSize"] + sizes["responseBodySize"]
        )
    scale = 60 / seconds
    return {
        "requests_per_minute": round(len(responses) * scale, 1),
        "bytes_per_minute": round(transferred * scale),
        "statuses": statuses,
        "share_304": round(statuses.get("304", 0) / max(1, len(responses)), 2),
    }


def _producers(sandbox: Sandbox) -> list[int]:
    tree = process_tree(sandbox.process.pid)
    found = [pid for pid, command in tree.items() if "demo_tasks" in command]
    assert found, tree
    return found


def test_polling_cost_of_an_idle_and_a_busy_dashboard(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    """An idle dashboard's polls are 304s; print what an idle and a busy one cost per minute."""
    producers = _producers(sandbox)
    for pid in producers:
        os.kill(pid, signal.SIGSTOP)  # no new task: what is stored settles
    try:
        wait_for(
            lambda: not stored(sandbox, "r.status IN ('PENDING', 'RECEIVED', 'STARTED', 'RETRY')"),
            TASK_TIMEOUT,
            "every task to finish",
        )
        time.sleep(6)  # past the updated_since overlap
        page = pages.open("admin")
        page.wait_for_selector("#chart-svg")
        first_load: list[Any] = []
        reload_page = page.context.new_page()
        reload_page.on("response", lambda r: "/api/results/" in r.url and first_load.append(r))
        reload_page.goto(sandbox.url + DASHBOARD)
        reload_page.wait_for_selector("#chart-svg")
        reload_page.wait_for_load_state("networkidle")
        full_load = sum(
            sum(
                r.request.sizes()[key]
                for key in ("requestHeadersSize", "responseHeadersSize", "responseBodySize")
            )
            for r in first_load
            if "metadata" not in r.url and "task_name" not in r.url
        )
        reload_page.close()
        page.wait_for_timeout(6000)
        idle = _api_traffic(page, 60)
    finally:
        for pid in producers:
            os.kill(pid, signal.SIGCONT)
    wait_for_stored(sandbox, "r.date_created > datetime('now', '-5 seconds')", "new tasks")
    busy = _api_traffic(page, 60)
    polls = 60 / 5
    naive = {"bytes_per_minute": round(full_load * polls), "requests_per_minute": 3 * polls}
    figures = {"idle": idle, "busy": busy, "reload_every_poll": naive, "poll_seconds": 5}
    (output_dir / "dashboard-polling.json").write_text(json.dumps(figures, indent=2))
    print(
        f"\ndashboard polling, per minute: idle {idle['requests_per_minute']} requests, "
        f"{idle['bytes_per_minute']} bytes ({idle['share_304']:.0%} 304s); busy (a task every "
        f"~0.5 s) {busy['requests_per_minute']} requests, {busy['bytes_per_minute']} bytes; "
        f"reloading the view every poll instead: {naive['bytes_per_minute']} bytes "
        f"(idle is {idle['bytes_per_minute'] / max(1, naive['bytes_per_minute']):.2f} of it)"
    )
    assert idle["share_304"] >= 0.9, idle
    assert idle["requests_per_minute"] <= 15, idle
    assert busy["statuses"].get("200", 0) > 0, busy


# ---------------------------------------------------------------- phone, keyboard, accessibility


def test_a_phone_shows_the_results_as_cards_without_sideways_scrolling(
    pages: Pages, output_dir: Path
) -> None:
    page = pages.open("acme", viewport=PHONE)
    page.wait_for_selector("#results tbody tr")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    first = page.locator("#results tbody tr").first
    box = first.bounding_box()
    assert box["width"] <= PHONE["width"]
    # Each cell carries its column's name, shown before it on a phone.
    label = page.evaluate(
        "getComputedStyle(document.querySelector('#results tbody td.col-task_name'),"
        " '::before').content"
    )
    assert "Task" in label
    page.screenshot(path=str(output_dir / "dashboard-phone.png"), full_page=False)
    # The headers are hidden on a phone: the same orderings come in a select.
    page.select_option("#sort-select", "task_name")
    page.wait_for_function("location.search.includes('ordering=task_name')")
    page.wait_for_function(
        "(() => { const names = [...document.querySelectorAll('#results td.col-task_name a')]"
        ".map(a => a.textContent); return names.length > 0"
        " && names.every((n, i) => i === 0 || names[i - 1] <= n); })()"
    )
    first = page.locator("#results tbody tr").first
    first.locator("a.task-link").click()
    page.locator("#detail").wait_for(state="visible")
    assert page.locator("#detail").bounding_box()["width"] == PHONE["width"]
    page.screenshot(path=str(output_dir / "dashboard-phone-detail.png"), full_page=False)


def test_keyboard_alone_searches_opens_and_closes_a_detail(pages: Pages) -> None:
    page = pages.open("admin")
    page.uncheck("#live")
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-id"
    page.focus("#results a.task-link")
    task_id = page.evaluate("document.activeElement.dataset.taskId")
    page.keyboard.press("Enter")
    page.locator("#detail").wait_for(state="visible")
    page.wait_for_function("document.activeElement.id === 'detail-title'")
    assert f"task={task_id}" in page.url
    page.keyboard.press("Escape")
    page.locator("#detail").wait_for(state="hidden")
    assert page.evaluate("document.activeElement.dataset.taskId") == task_id
    # Every control has a name a screen reader reads.
    unlabelled = page.evaluate(
        "[...document.querySelectorAll('input, select, button')]"
        ".filter(e => e.offsetParent !== null && !(e.labels && e.labels.length)"
        " && !e.getAttribute('aria-label') && !e.textContent.trim())"
        ".map(e => e.outerHTML)"
    )
    assert unlabelled == []


def test_axe_finds_no_serious_violation_in_the_main_views(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    failed, *_ = wait_for_stored(sandbox, "r.status = 'FAILURE'", "a failure")
    report: dict[str, list[dict]] = {}
    page = pages.open("admin")
    page.wait_for_selector("#chart-svg")
    page.uncheck("#live")
    report["tasks"] = axe_violations(page)
    page.click("#more-filters summary")
    report["tasks, more filters"] = axe_violations(page)
    page.goto(f"{sandbox.url}{DASHBOARD}?task={failed}&live=0")
    page.locator("#detail").wait_for(state="visible")
    page.wait_for_function("document.querySelector('#detail-traceback').textContent.length > 1")
    report["detail"] = axe_violations(page)
    page.goto(f"{sandbox.url}{DASHBOARD}?live=0&status=FAILURE")
    page.select_option("#bulk-action", "delete")
    page.click("#bulk button[type=submit]")
    page.locator("#bulk-confirm").wait_for()
    report["bulk preview"] = axe_violations(page)
    page.click("#bulk-cancel")
    page.goto(f"{sandbox.url}{DASHBOARD}?view=failures&live=0")
    page.wait_for_selector("#failures tbody tr, #failures-empty:not([hidden])")
    report["failures"] = axe_violations(page)
    page.goto(f"{sandbox.url}{DASHBOARD}?view=names&live=0")
    page.wait_for_selector("#names tbody tr, #names-empty:not([hidden])")
    report["task names"] = axe_violations(page)
    page.goto(f"{sandbox.url}{DASHBOARD}?view=groups&live=0")
    page.wait_for_selector("#groups tbody tr, #groups-empty:not([hidden])")
    report["groups"] = axe_violations(page)
    phone = pages.open("acme", f"{DASHBOARD}?live=0", viewport=PHONE)
    phone.wait_for_selector("#results tbody tr")
    report["phone"] = axe_violations(phone)
    (output_dir / "dashboard-axe.json").write_text(json.dumps(report, indent=2))
    print(
        f"\naxe-core {phone.evaluate('axe.version')}: serious or critical violations per view: "
        + ", ".join(f"{view} {len(found)}" for view, found in report.items())
    )
    assert all(not found for found in report.values()), report


# ---------------------------------------------------------------- the README's screenshot


def test_the_overview_a_new_user_sees_shows_no_path_of_the_checkout(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    """What staff see first on a sandbox a few minutes old: the README's screenshot.

    Written to ``dashboard-readme.png``; last in the module, so that the
    sandbox has stored a few minutes of results for the chart.
    """
    wait_for(
        lambda: (
            sandbox.query(
                "SELECT COUNT(DISTINCT substr(date_done, 1, 16)) FROM tenants_taskresult"
            )[0][0]
            >= 4
        ),
        300,
        "four minutes of results",
    )
    page = pages.open("admin", f"{DASHBOARD}?range=15m", viewport=README_SCREEN)
    page.wait_for_selector("#chart-svg rect.bar")
    page.wait_for_selector("#counts li")

    assert str(ROOT) not in page.inner_text("body")
    page.screenshot(path=str(output_dir / "dashboard-readme.png"), full_page=False)


def test_the_admin_changelist_fits_a_1440x900_screen_without_scrolling_sideways(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    wait_for_stored(
        sandbox, "r.status = 'SUCCESS' AND r.task_name = 'reports.generate_invoice_pdf'", "a PDF"
    )
    page = pages.open("admin", viewport=SCREEN)
    page.goto(sandbox.url + "/admin/tenants/taskresult/")
    page.locator("#result_list tbody tr").first.wait_for()
    page.screenshot(path=str(output_dir / "admin-changelist.png"), full_page=False)
    widths = page.evaluate(
        """() => {
          const table = document.getElementById("result_list");
          const region = table.closest(".results") || table.parentElement;
          return {page: document.documentElement.scrollWidth, table: table.scrollWidth,
                  region: region.clientWidth,
                  columns: [...table.tHead.rows[0].cells].map((c) => [c.className, c.offsetWidth])};
        }"""
    )
    assert widths["page"] <= SCREEN["width"], widths
    assert widths["table"] <= widths["region"], widths


def test_an_html_error_page_of_a_proxy_shows_as_its_status_alone(
    pages: Pages, sandbox: Sandbox, output_dir: Path
) -> None:
    """A server in front of the API (gunicorn's 414, nginx's 502) answers with an HTML page."""
    page = pages.open("admin", f"{DASHBOARD}?live=0")
    page_of_a_proxy = (
        "<html><head><title>414 Request-URI Too Long</title></head><body>...</body></html>"
    )
    page.route(
        "**/api/results/tasks/?*",
        lambda route: route.fulfill(status=414, content_type="text/html", body=page_of_a_proxy),
    )
    page.reload()
    page.wait_for_selector("#error:not([hidden])")

    shown = page.inner_text("#error")
    page.screenshot(path=str(output_dir / "dashboard-proxy-error.png"), full_page=False)
    assert "HTTP 414" in shown and "<" not in shown and "Request-URI" not in shown, shown
    # The 414s were the point: no problem of the page.
    pages.problems[:] = [problem for problem in pages.problems if not problem.startswith("414")]
