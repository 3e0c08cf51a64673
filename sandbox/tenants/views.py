"""The log-in page of the sandbox; the dashboard itself is results_api's (``results/``)."""

from typing import Any

from django.contrib.auth.views import LoginView

from .demo import PASSWORD, STAFF_USERNAME, TENANTS


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
