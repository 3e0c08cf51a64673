"""URLs of the dashboard (namespace ``results_dashboard``)::

    path("results/", include("results_api.dashboard.urls")),

``""``: the page; ``assets/<name>``: its script modules and style sheet.
"""

from django.urls import path

from .views import AssetView, DashboardView

app_name = "results_dashboard"

urlpatterns = [
    path("", DashboardView.as_view(), name="index"),
    path("assets/<str:name>", AssetView.as_view(), name="asset"),
]
