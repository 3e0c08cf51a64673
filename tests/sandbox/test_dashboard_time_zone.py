"""The dashboard across a daylight-saving change of the project's time zone, in Chromium.

A throwaway project in ``Europe/Berlin`` stores four tasks around the night its
clocks went back (2026-10-25, 03:00 CEST -> 02:00 CET): two at the 02:30 the
clocks showed twice, one the day before and one the day after. The browser runs
in ``America/New_York``, whose clocks changed a week later, so a date read in
the browser's zone, or a day taken as 24 hours, shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from tests.throwaway import ThrowawayProject

from .test_dashboard import BROWSER_TIME_ZONE, TIMEOUT_MS, browser  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.default_model]

PROJECT_TIME_ZONE = "Europe/Berlin"
# task id -> when it was created and last changed (UTC).
TASKS = {
    "day-before": "2026-10-24T12:00:00+00:00",
    "first-0230": "2026-10-25T00:30:00+00:00",  # 02:30 CEST
    "second-0230": "2026-10-25T01:30:00+00:00",  # 02:30 CET, an hour later
    "day-after": "2026-10-26T12:00:00+00:00",
}
CREATE = """
from datetime import datetime
from django.contrib.auth import get_user_model
from django_celery_results.models import TaskResult
get_user_model().objects.create_user("alice", password="pw", is_staff=True)
for task_id, moment in {tasks!r}.items():
    TaskResult.objects.create(task_id=task_id, task_name="dst." + task_id, status="SUCCESS")
    at = datetime.fromisoformat(moment)
    TaskResult.objects.filter(task_id=task_id).update(date_created=at, date_done=at)
"""


def wall(moment: str) -> str:
    """Return ``moment`` as the project's clocks showed it."""
    shown = datetime.fromisoformat(moment).astimezone(ZoneInfo(PROJECT_TIME_ZONE))
    return shown.strftime("%Y-%m-%d %H:%M:%S.000")


@pytest.fixture(scope="module")
def berlin_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start the throwaway project with the dashboard and the tasks; return its address."""
    project = ThrowawayProject(tmp_path_factory.mktemp("berlin") / "site")
    project.extra = "\n".join(
        [
            f"TIME_ZONE = {PROJECT_TIME_ZONE!r}",
            'ALLOWED_HOSTS = ["127.0.0.1"]',
            'LOGIN_URL = "admin:login"',
        ]
    )
    project.write()
    with (project.directory / "throwaway_urls.py").open("a") as urls:
        urls.write('urlpatterns.append(path("results/", include("results_api.dashboard.urls")))\n')
    for arguments in (["migrate", "--no-input"], ["shell", "-c", CREATE.format(tasks=TASKS)]):
        finished = project.run(*arguments)
        assert finished.returncode == 0, finished.stderr
    with project.serve("/admin/login/") as address:
        yield address


@pytest.fixture
def open_dashboard(browser: Any, berlin_site: str) -> Iterator[Any]:  # noqa: F811
    """Return a function that logs in and opens the dashboard at a query string."""
    context = browser.new_context(
        viewport={"width": 1440, "height": 1000}, timezone_id=BROWSER_TIME_ZONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []

    def open_at(query: str) -> Any:
        page = context.new_page()
        page.goto(f"{berlin_site}/admin/login/?next={quote('/results/' + query)}")
        page.fill("#id_username", "alice")
        page.fill("#id_password", "pw")
        # The admin's log-in page links static files this project does not serve.
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.click("input[type=submit]")
        page.wait_for_selector("#results tbody tr, #empty:not([hidden])")
        page.wait_for_selector("#chart .legend")
        return page

    try:
        yield open_at
        assert not errors, errors
    finally:
        context.close()


def created_column(page: Any) -> dict[str, str]:
    """Return task id -> the full date of its "Created" cell."""
    return {
        row.get_attribute("data-task-id"): row.locator("td.col-date_created .full").inner_text()
        for row in page.locator("#results tbody tr").all()
    }


def chart_bars(page: Any) -> set[str]:
    """Return the titles of the chart's bars: "<bucket start>: <count> <status>"."""
    return set(page.locator("#chart-svg rect title").all_text_contents())


def test_dates_either_side_of_the_clocks_going_back_show_the_projects_wall_time(
    open_dashboard: Any,
) -> None:
    page = open_dashboard("?live=0")

    assert created_column(page) == {task_id: wall(moment) for task_id, moment in TASKS.items()}
    # The hour the clocks showed twice: the same wall time, an hour apart.
    assert wall(TASKS["first-0230"]) == wall(TASKS["second-0230"]) == "2026-10-25 02:30:00.000"
    assert PROJECT_TIME_ZONE in page.inner_text("th[data-field=date_created]")


def test_a_range_typed_across_the_change_is_read_in_the_projects_time_zone(
    open_dashboard: Any,
) -> None:
    from playwright.sync_api import expect

    page = open_dashboard("?live=0")

    # 01:00 was summer time (UTC+2), 04:00 winter time (UTC+1).
    page.fill("#filter-date_created__gte", "2026-10-25T01:00:00")
    page.fill("#filter-date_created__lte", "2026-10-25T04:00:00")
    page.click("#filters button[type=submit]")

    # A locator waits without evaluating a string: the page's CSP forbids eval.
    expect(page.locator("#results tbody tr")).to_have_count(2)
    assert set(created_column(page)) == {"first-0230", "second-0230"}
    assert "date_created__gte=2026-10-24T23%3A00%3A00.000Z" in page.url
    assert "date_created__lte=2026-10-25T03%3A00%3A00.000Z" in page.url
    page.reload()
    page.wait_for_selector("#results tbody tr")
    # (Chromium leaves out seconds of zero.)
    assert page.input_value("#filter-date_created__gte") == "2026-10-25T01:00"
    assert page.input_value("#filter-date_created__lte") == "2026-10-25T04:00"


def test_the_chart_counts_the_day_of_25_hours_as_one_day(open_dashboard: Any) -> None:
    # Ten days of the "Done" filter, midnight to midnight in Berlin: one bar a day.
    page = open_dashboard(
        "?live=0&date_done__gte=2026-10-19T22:00:00.000Z&date_done__lte=2026-10-29T23:00:00.000Z"
    )

    assert chart_bars(page) == {
        "2026-10-24 00:00:00.000: 1 SUCCESS",
        "2026-10-25 00:00:00.000: 2 SUCCESS",
        "2026-10-26 00:00:00.000: 1 SUCCESS",
    }
    days = page.locator("#chart-svg text.axis[text-anchor=middle]").all_text_contents()
    assert days == sorted(set(days)), days
    assert all(re.fullmatch(r"10-(2\d|30)", day) for day in days), days


def test_the_hour_the_clocks_showed_twice_is_one_bar_as_the_api_counts_it(
    open_dashboard: Any,
) -> None:
    page = open_dashboard(
        "?live=0&date_done__gte=2026-10-24T22:00:00.000Z&date_done__lte=2026-10-25T04:00:00.000Z"
    )

    assert chart_bars(page) == {"2026-10-25 02:00:00.000: 2 SUCCESS"}
    hours = page.locator("#chart-svg text.axis[text-anchor=middle]").all_text_contents()
    assert hours == ["00:00", "01:00", "02:00", "03:00", "04:00", "05:00"]
