"""Create the PostgreSQL database named in the settings if it does not exist yet.

SQLite creates its file on first use, so there is nothing to do for it.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    """Create the default database on its server when it is missing."""

    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            return
        import psycopg
        from psycopg import sql

        settings = connection.settings_dict
        name = settings["NAME"]
        params = {
            "host": settings["HOST"] or None,
            "port": settings["PORT"] or None,
            "user": settings["USER"] or None,
            "password": settings["PASSWORD"] or None,
            "dbname": "postgres",
        }
        try:
            with psycopg.connect(**params, autocommit=True) as admin:
                exists = admin.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [name]
                ).fetchone()
                if not exists:
                    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    self.stdout.write(f"created database {name}")
        except psycopg.Error as exc:
            raise CommandError(f"cannot reach or create database {name}: {exc}") from exc
