"""The dashboard's page and assets, without a browser (tests/sandbox/ drives it in Chromium)."""

from __future__ import annotations

import json
import re

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

INDEX = "results_dashboard:index"


def logged_in(username: str, **flags) -> Client:
    user = get_user_model().objects.create_user(username, password="x", **flags)
    client = Client()
    client.force_login(user)
    return client


def page_config(response) -> dict:
    match = re.search(
        r'<script id="dashboard-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, response.content[:500]
    return json.loads(match.group(1))


def test_anonymous_visitors_are_sent_to_the_projects_login(client, settings):
    settings.LOGIN_URL = "/accounts/login/"
    response = client.get(reverse(INDEX) + "?status=FAILURE")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/results/")


def test_a_user_the_api_refuses_gets_403(db):
    # The default PERMISSION_CLASSES: IsAdminUser.
    assert logged_in("member").get(reverse(INDEX)).status_code == 403


def test_a_refused_user_is_told_why_and_offered_another_log_in(db, settings):
    settings.LOGIN_URL = "/accounts/login/"

    response = logged_in("member").get(reverse(INDEX) + "?status=FAILURE")

    page = response.content.decode()
    assert response.status_code == 403
    assert "You are logged in as member" in page
    assert 'href="/accounts/login/?next=%2Fresults%2F%3Fstatus%3DFAILURE"' in page


def test_a_refused_user_can_log_out_through_the_admin_when_it_is_the_log_in_page(db, settings):
    settings.LOGIN_URL = "admin:login"

    page = logged_in("member").get(reverse(INDEX)).content.decode()

    assert f'action="{reverse("admin:logout")}"' in page
    assert "Log out" in page


def test_staff_have_a_log_out_button_through_the_admin_when_it_is_the_log_in_page(db, settings):
    settings.LOGIN_URL = "admin:login"

    page = logged_in("staff", is_staff=True).get(reverse(INDEX)).content.decode()

    assert f'action="{reverse("admin:logout")}"' in page


def test_staff_get_the_page_with_where_the_api_is(db):
    response = logged_in("staff", is_staff=True).get(reverse(INDEX))
    assert response.status_code == 200
    config = page_config(response)
    assert config["api"] == {"tasks": "/api/results/tasks/", "groups": "/api/results/groups/"}
    assert config["pollSeconds"] == 5
    assert "staff" in response.content.decode()


def test_the_page_follows_the_apis_permission_classes(settings, db):
    settings.RESULTS_API = {"PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]}
    assert logged_in("member").get(reverse(INDEX)).status_code == 200


def test_the_api_url_and_poll_interval_come_from_the_settings(settings, db):
    settings.RESULTS_API = {"DASHBOARD_API_URL": "/v2/results/", "DASHBOARD_POLL_INTERVAL": 15}
    config = page_config(logged_in("staff", is_staff=True).get(reverse(INDEX)))
    assert config["api"] == {"tasks": "/v2/results/tasks/", "groups": "/v2/results/groups/"}
    assert config["pollSeconds"] == 15


def test_the_page_runs_only_its_own_script(db):
    response = logged_in("staff", is_staff=True).get(reverse(INDEX))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    html = response.content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert all('type="application/json"' in tag or "src=" in tag for tag in scripts), scripts
    assert "http://" not in html and "https://" not in html  # no CDN


def test_the_page_carries_a_csrf_token_for_the_actions(db):
    html = logged_in("staff", is_staff=True).get(reverse(INDEX)).content.decode()
    assert re.search(r'<meta name="csrf-token" content="\w{32,}">', html)


def test_assets_are_linked_by_version_and_cached_for_a_year(client, db):
    html = logged_in("staff", is_staff=True).get(reverse(INDEX)).content.decode()
    script = re.search(r'<script src="([^"]+)"', html).group(1)
    assert re.fullmatch(r"/results/assets/dashboard\.js\?v=[0-9a-f]{16}", script)
    response = client.get(script)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert b"tasks/metadata/" in response.content
    again = client.get(script, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_an_asset_without_its_version_is_revalidated(client):
    response = client.get(reverse("results_dashboard:asset", args=["dashboard.css"]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, no-cache"


def test_only_the_dashboards_own_files_are_served(client):
    for name in ("settings.py", "..%2F__init__.py", "views.py"):
        assert client.get(f"/results/assets/{name}").status_code == 404


def test_the_page_asks_the_permissions_as_the_task_list_would(settings, db):
    # DjangoModelPermissions reads the view's queryset: the task list's.
    settings.RESULTS_API = {
        "PERMISSION_CLASSES": ["rest_framework.permissions.DjangoModelPermissions"]
    }
    assert logged_in("member").get(reverse(INDEX)).status_code == 200
