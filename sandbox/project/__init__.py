"""The sandbox project: a multi-tenant Django site storing Celery results with their tenant."""

from .celery import app as celery_app

__all__ = ["celery_app"]
