from django.apps import AppConfig
from django.db.backends.signals import connection_created


def use_wal_on_sqlite(sender, connection, **kwargs):
    """Let the test process and the worker processes read while one writes."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")


class TestAppConfig(AppConfig):
    name = "tests.testapp"
    label = "testapp"

    def ready(self):
        connection_created.connect(use_wal_on_sqlite)
