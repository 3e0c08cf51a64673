"""App configuration of the results API."""

import importlib.util

from django.apps import AppConfig, apps


class ResultsAPIConfig(AppConfig):
    """Register the system checks, and the drf-spectacular extensions when it is installed."""

    name = "results_api"
    # Pinned to what its migrations create, so that a project's DEFAULT_AUTO_FIELD
    # (or its absence) never asks for a migration of this app.
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Celery results API"

    def ready(self) -> None:
        from . import checks  # noqa: F401
        from .bulk import checks as bulk_checks  # noqa: F401
        from .metrics import checks as metrics_checks  # noqa: F401
        from .search import checks as search_checks  # noqa: F401

        if apps.is_installed("django.contrib.auth"):
            from .content.permission_cache import connect_signals

            connect_signals()

        if apps.is_installed("django.contrib.auth") and apps.is_installed("django_celery_results"):
            from django.db.models.signals import post_migrate

            from .bulk.permissions import create_bulk_permissions

            post_migrate.connect(create_bulk_permissions, sender=self)

        if apps.is_installed("django.contrib.admin") and apps.is_installed("django_celery_results"):
            from .bulk.admin import add_bulk_actions

            add_bulk_actions()

        # Without django_celery_results the extensions cannot import its models;
        # results_api.E007 then says what to add.
        if importlib.util.find_spec("drf_spectacular") is not None and apps.is_installed(
            "django_celery_results"
        ):
            from .rest import schema  # noqa: F401
