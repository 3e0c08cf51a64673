"""The metrics endpoint: the Prometheus text format, for a scraper holding the token or a user.

A request with ``Authorization: Bearer <RESULTS_API["METRICS_TOKEN"]>``
reads every series (the project's own Prometheus). Any other request goes
through the API's authentication and permission classes, as the task
list does, and then reads only the series of the rows its scope hook lets
it see (``results_api/metrics/scope.py``).
"""

from __future__ import annotations

import hmac
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import router
from django.http import HttpResponse
from django.utils.translation import gettext as _
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.settings import api_settings as drf_settings
from rest_framework.views import APIView

from django_celery_results.conf import apply_scope_hook
from django_celery_results.models import get_task_result_model

from ..conf import api_settings
from ..rest.throttling import FailedLoginLockout
from .collector import StoredMetrics
from .labels import label_set
from .scope import Narrowing, read_scope


class Scraper:
    """What ``request.auth`` holds for a request that sent the metrics token."""


SCRAPER = Scraper()


class MetricsTokenAuthentication(BaseAuthentication):
    """Admit a request whose ``Authorization: Bearer`` header holds ``METRICS_TOKEN``."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[AnonymousUser, Scraper] | None:
        token = api_settings.METRICS_TOKEN
        header = get_authorization_header(request).split()
        if not token or not header or header[0].lower() != self.keyword:
            return None  # left to the API's authentication classes
        if len(header) != 2 or not hmac.compare_digest(header[1], str(token).encode()):
            raise AuthenticationFailed(_("Invalid metrics token."))
        return AnonymousUser(), SCRAPER

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="metrics"'


class ErrorTextRenderer(BaseRenderer):
    """Render a refusal as one line of text, for a scraper that accepts only text."""

    media_type = "text/plain"
    format = "txt"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        detail = data.get("detail", data) if isinstance(data, dict) else data
        return f"{detail}\n".encode()


class MetricsView(FailedLoginLockout, APIView):
    """Serve the stored results' metrics in the Prometheus text exposition format."""

    renderer_classes = [JSONRenderer, ErrorTextRenderer]
    throttle_scope = "read"

    def get_authenticators(self) -> list[BaseAuthentication]:
        classes: Any = (
            api_settings.AUTHENTICATION_CLASSES or drf_settings.DEFAULT_AUTHENTICATION_CLASSES
        )
        return [MetricsTokenAuthentication(), *(auth() for auth in classes)]

    def get_permissions(self) -> list[Any]:
        if self.request.auth is SCRAPER:
            return []
        return [permission() for permission in api_settings.PERMISSION_CLASSES]

    def get_throttles(self) -> list[Any]:
        return [throttle() for throttle in api_settings.THROTTLE_CLASSES]

    def get(self, request: Request) -> HttpResponse:
        """Return every metric family, read from the database now."""
        model = get_task_result_model()
        queryset = model._default_manager.using(router.db_for_read(model)).all()
        narrowing = Narrowing()
        if request.auth is not SCRAPER:
            queryset = apply_scope_hook(request, queryset)
            read = read_scope(queryset, label_set(model))
            if read is None:
                raise PermissionDenied(
                    _(
                        "The scope hook narrows the task results by something the metrics "
                        "are not labelled with; scope by a label's column (= or __in, e.g. "
                        "tenant_id__in=...), or scrape with RESULTS_API['METRICS_TOKEN']."
                    )
                )
            narrowing = read
        registry = CollectorRegistry(auto_describe=False)
        registry.register(StoredMetrics(model, queryset, narrowing))
        # The format the scraper asks for: OpenMetrics or the text format (0.0.4 by default).
        encode, content_type = choose_encoder(request.META.get("HTTP_ACCEPT", ""))
        return HttpResponse(encode(registry), content_type=content_type)
