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
        from celery.signals import worker_init

        from . import checks  # noqa: F401  (registers the system checks)
        from .sent import update_receivers
        from .task_connections import install_in_worker

        # Django's rule for connections at request boundaries, at task boundaries.
        worker_init.connect(install_in_worker, weak=False, dispatch_uid=__name__)
        update_receivers()
