"""The ``django-cache`` result backend: task state in a Django cache."""

from __future__ import annotations

from typing import Any

from celery.backends.base import KeyValueStoreBackend
from django.core.cache import BaseCache, caches
from django.core.cache import cache as default_cache
from kombu.utils.encoding import bytes_to_str


class CacheBackend(KeyValueStoreBackend):
    """Store task metadata in the cache named by ``CELERY_CACHE_BACKEND`` (or the default)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The cache pickles values itself; meta must stay Python objects so
        # that exceptions are not turned into dicts.
        self.serializer = "pickle"

    @property
    def cache_backend(self) -> BaseCache:
        """Return the Django cache that holds the results."""
        name = self.app.conf.cache_backend
        return caches[name] if name else default_cache

    def get(self, key: bytes | str) -> Any:
        return self.cache_backend.get(bytes_to_str(key))

    def set(self, key: bytes | str, value: Any) -> None:
        self.cache_backend.set(bytes_to_str(key), value, self.expires)

    def delete(self, key: bytes | str) -> None:
        self.cache_backend.delete(bytes_to_str(key))

    def encode(self, data: Any) -> Any:
        return data

    def decode(self, data: Any) -> Any:
        return data
