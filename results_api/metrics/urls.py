"""URLs of the metrics endpoint (namespace ``results_metrics``)::

    path("metrics", include("results_api.metrics.urls")),

``""``: every metric, in the Prometheus text exposition format.
"""

from django.urls import path

from .views import MetricsView

app_name = "results_metrics"

urlpatterns = [path("", MetricsView.as_view(), name="metrics")]
