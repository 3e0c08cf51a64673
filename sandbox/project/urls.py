"""URLs of the sandbox: the dashboard, log-in, admin, the results API and its schema pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from tenants.views import SandboxLoginView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="results_dashboard:index"), name="home"),
    # The dashboard that ships with results_api: one include.
    path("results/", include("results_api.dashboard.urls")),
    path("accounts/login/", SandboxLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/results/", include("results_api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/schema/swagger-ui/",
        SpectacularSwaggerView.as_view(url_name="schema"),
        name="swagger-ui",
    ),
    path("api/schema/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    # The browsable API's own log-in/log-out links.
    path("api/auth/", include("rest_framework.urls")),
    # django_celery_results' JSON status views (task/status/<id>/, ...).
    path("celery/", include("django_celery_results.urls")),
]
