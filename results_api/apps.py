"""App configuration of the results API."""

import importlib.util

from django.apps import AppConfig


class ResultsAPIConfig(AppConfig):
    """Register the drf-spectacular extensions when drf-spectacular is installed."""

    name = "results_api"
    verbose_name = "Celery results API"

    def ready(self) -> None:
        if importlib.util.find_spec("drf_spectacular") is not None:
            from . import spectacular  # noqa: F401
