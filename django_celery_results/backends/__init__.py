"""Celery result backends storing into Django: ``django-db`` and ``django-cache``."""

from .cache import CacheBackend
from .database import DatabaseBackend

__all__ = ["CacheBackend", "DatabaseBackend"]
