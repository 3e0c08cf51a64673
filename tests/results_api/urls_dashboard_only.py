"""A URLconf with the dashboard but not the API it reads (system check E007)."""

from django.urls import include, path

urlpatterns = [path("results/", include("results_api.dashboard.urls"))]
