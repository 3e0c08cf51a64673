"""The tenants app: tenants, their members and the task result model that records the tenant."""

from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def enable_sqlite_wal(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Put an SQLite database in WAL mode, so that the dashboard's reads never block the worker."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")


class TenantsConfig(AppConfig):
    """Connect the SQLite tuning on start-up."""

    name = "tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        connection_created.connect(enable_sqlite_wal, dispatch_uid="tenants.enable_sqlite_wal")
