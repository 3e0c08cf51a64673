"""App configuration of the results API."""

import importlib.util

from django.apps import AppConfig


class ResultsAPIConfig(AppConfig):
    """Register the system checks, and the drf-spectacular extensions when it is installed."""

    name = "results_api"
    verbose_name = "Celery results API"

    def ready(self) -> None:
        from . import checks  # noqa: F401

        if importlib.util.find_spec("drf_spectacular") is not None:
            from . import spectacular  # noqa: F401
