"""Celery result backends for Django, with swappable result models.

A drop-in replacement for django-celery-results 2.6: same app label, tables,
settings, import paths and ``django-db`` / ``django-cache`` backend aliases.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
