"""The dashboard page, and the assets it links.

The page is a shell: a template with the configuration the script needs
(where the API is, how often to poll, the CSRF token for revoke and retry)
and the script's main module, which builds everything else from
``tasks/metadata/``. The templates are ``results_api/dashboard/dashboard.html``
and ``refused.html``: a project's template engines find its own copy first (the
usual way to override an app's template); without one, the package's are used,
so the dashboard needs no ``TEMPLATES`` set-up.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import resolve_url
from django.template import Context, Engine, TemplateDoesNotExist, loader
from django.urls import NoReverseMatch, reverse
from django.views import View

from ..conf import SETTING_NAME, api_settings
from ..rest.serializers import LIST_ROUTES
from .access import api_admits
from .assets import ENTRY, get_asset, module_graph
from .messages import translated_messages

__all__ = ["AssetView", "DashboardView", "api_urls"]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
# The page runs only its own script and style sheet, and talks only to its origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)


@functools.cache
def _engine() -> Engine:
    """Return the template engine of the dashboard's own templates (no project set-up needed)."""
    return Engine(
        dirs=[str(TEMPLATE_DIR)],
        debug=settings.DEBUG,
        autoescape=True,
        libraries={"i18n": "django.templatetags.i18n"},
    )


def render_page(request: HttpRequest, template_name: str, context: dict[str, Any]) -> str:
    """Render ``template_name``: the project's copy if its engines have one, else the package's."""
    try:
        template = loader.get_template(template_name)
    except TemplateDoesNotExist:
        return _engine().get_template(template_name).render(Context(context))
    return template.render(context, request)


def api_urls() -> dict[str, str]:
    """Return the URLs of the task and group lists: ``DASHBOARD_API_URL``, or reversed."""
    base = api_settings.DASHBOARD_API_URL
    if base is not None:
        return {"tasks": f"{base}tasks/", "groups": f"{base}groups/"}
    try:
        return {
            "tasks": reverse("results_api:task-list"),
            "groups": reverse("results_api:group-list"),
        }
    except NoReverseMatch:
        raise ImproperlyConfigured(
            "The dashboard cannot find the results API: include results_api.urls (namespace "
            f"results_api) or set {SETTING_NAME}['DASHBOARD_API_URL'] to its base URL."
        ) from None


def _optional_url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def logout_url() -> str | None:
    """Return where the log-out button posts: the project's ``logout`` URL, or the admin's
    when the log-in page is the admin's (``LOGIN_URL = "admin:login"``); None without one."""
    found = _optional_url("logout")
    if found is None and resolve_url(settings.LOGIN_URL) == _optional_url("admin:login"):
        found = _optional_url("admin:logout")
    return found


def _asset_url(name: str) -> str:
    return reverse("results_dashboard:asset", args=[name]) + f"?v={get_asset(name).version}"


class DashboardView(View):
    """Serve the dashboard to a logged-in user whom the API's permission classes admit."""

    template_name = "results_api/dashboard/dashboard.html"
    refused_template_name = "results_api/dashboard/refused.html"
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not api_admits(request):
            return self.refused(request)
        context = {
            "config": self.get_config(request),
            "csrf_token": get_token(request),
            "username": request.user.get_username(),
            "logout_url": logout_url(),
            "js_url": _asset_url(ENTRY),
            # The main module's imports, fetched at once rather than as each is parsed.
            "module_urls": [_asset_url(asset.name) for asset in module_graph()[1:]],
            "css_url": _asset_url("dashboard.css"),
        }
        html = render_page(request, self.template_name, context)
        response = HttpResponse(html)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response["Cache-Control"] = "private, no-cache"
        response["Referrer-Policy"] = "same-origin"
        return response

    def refused(self, request: HttpRequest) -> HttpResponse:
        """Return a 403 page for a logged-in user the API refuses: why, and how to switch."""
        login = resolve_url(settings.LOGIN_URL)
        context = {
            "username": request.user.get_username(),
            "login_url": f"{login}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}",
            "logout_url": logout_url(),
            "csrf_token": get_token(request),
            "css_url": _asset_url("dashboard.css"),
        }
        html = render_page(request, self.refused_template_name, context)
        response = HttpResponse(html, status=403)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response["Cache-Control"] = "private, no-cache"
        return response

    def get_config(self, request: HttpRequest) -> dict[str, Any]:
        """Return what the script needs: the API's URLs, the poll interval, the log-in URL."""
        return {
            "api": api_urls(),
            # Task ids that name a route beside the detail: escaped in the detail's URL.
            "listRoutes": sorted(LIST_ROUTES),
            "pollSeconds": api_settings.DASHBOARD_POLL_INTERVAL,
            "loginUrl": resolve_url(settings.LOGIN_URL),
            "csrfHeader": "X-CSRFToken",
            "messages": translated_messages(),
        }


class AssetView(View):
    """Serve one of the dashboard's assets, cached for a year under its versioned URL."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, name: str) -> HttpResponse:
        try:
            asset = get_asset(name)
        except KeyError:
            raise Http404(name) from None
        etag = f'"{asset.version}"'
        if request.headers.get("If-None-Match") == etag:
            response: HttpResponse = HttpResponseNotModified()
        else:
            response = HttpResponse(asset.content, content_type=asset.content_type)
        response["ETag"] = etag
        if request.GET.get("v") == asset.version:
            response["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            response["Cache-Control"] = "public, no-cache"
        response["X-Content-Type-Options"] = "nosniff"
        return response
