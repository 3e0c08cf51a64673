"""The dashboard page and the log-in page; the data comes from the results API in the browser."""

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import LoginView
from django.urls import reverse
from django.views.generic import TemplateView

from .demo import PASSWORD, STAFF_USERNAME, TENANTS
from .scope import visible_tenants


class DashboardView(LoginRequiredMixin, TemplateView):
    """Serve the dashboard: a page and a script that read ``/api/results/``."""

    template_name = "tenants/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["config"] = {
            # The tenant selector: every tenant for staff, the user's own otherwise.
            "tenants": [
                {"id": tenant.pk, "name": tenant.name}
                for tenant in visible_tenants(user).order_by("name")
            ],
            "isStaff": user.is_staff,
            "api": {
                "tasks": reverse("results_api:task-list"),
                "stats": reverse("results_api:task-stats"),
            },
            "loginUrl": reverse("login"),
            "pollSeconds": 5,
        }
        return context


class SandboxLoginView(LoginView):
    """Django's log-in view, showing the demo's logins on the page."""

    template_name = "registration/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["demo_password"] = PASSWORD
        context["demo_logins"] = [(STAFF_USERNAME, "staff: every tenant")] + [
            (demo.username, f"member of {demo.name}") for demo in TENANTS
        ]
        return context
