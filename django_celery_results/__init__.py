"""Celery result backends for Django, with swappable result models.

A drop-in replacement for django-celery-results 2.6: same app label, tables,
settings, import paths and ``django-db`` / ``django-cache`` backend aliases.
"""

from typing import NamedTuple


class version_info_t(NamedTuple):
    """A version as numbers, as django-celery-results 2.6 exposed it."""

    major: int
    minor: int
    micro: int
    releaselevel: str
    serial: str


__version__ = "0.1.0"
_major, _minor, _micro = (int(part) for part in __version__.split(".")[:3])
VERSION = version_info = version_info_t(_major, _minor, _micro, "", "")
__all__ = ["VERSION", "__version__", "version_info", "version_info_t"]
