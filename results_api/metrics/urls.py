"""URLs of the metrics endpoint (namespace ``results_metrics``)::

    path("metrics", include("results_api.metrics.urls")),

``""``: every metric, in the Prometheus text exposition format.
"""

from django.core.exceptions import ImproperlyConfigured
from django.urls import path

try:
    import prometheus_client  # noqa: F401
except ImportError as exc:  # say what to install, not only which module is missing
    raise ImproperlyConfigured(
        "The metrics endpoint (results_api.metrics.urls) needs prometheus-client: install "
        "celery-results-api with its [metrics] extra, or pip install prometheus-client."
    ) from exc

from .views import MetricsView

app_name = "results_metrics"

urlpatterns = [path("", MetricsView.as_view(), name="metrics")]
