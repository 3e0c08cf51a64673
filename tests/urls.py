from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("celery/", include("django_celery_results.urls")),
    path("api/results/", include("results_api.urls")),
    path("results/", include("results_api.dashboard.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
]
