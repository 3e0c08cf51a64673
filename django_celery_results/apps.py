"""Application configuration of the result store."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CeleryResultConfig(AppConfig):
    """Configure the ``django_celery_results`` app and register its checks."""

    name = "django_celery_results"
    label = "django_celery_results"
    verbose_name = _("Celery Results")
    # Pinned so that a project's DEFAULT_AUTO_FIELD never creates a migration here.
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
