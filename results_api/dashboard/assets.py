"""The dashboard's script and style sheet, served from the package by its own URL.

No ``collectstatic`` and no static files set-up: the page links each file
as ``assets/<name>?v=<hash of its content>``, answered with a year of
``Cache-Control: immutable``, so a browser fetches it once per release.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ASSETS", "Asset", "get_asset"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
# The files the page uses, with their media types: nothing else is served.
ASSETS: dict[str, str] = {
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
}


@dataclass(frozen=True)
class Asset:
    """One file's bytes, media type and version (a hash of its content)."""

    name: str
    content: bytes
    content_type: str
    version: str


@functools.cache
def get_asset(name: str) -> Asset:
    """Return the asset called ``name``; ``KeyError`` for any other name."""
    content_type = ASSETS[name]
    content = (STATIC_DIR / name).read_bytes()
    version = hashlib.sha256(content).hexdigest()[:16]
    return Asset(name=name, content=content, content_type=content_type, version=version)
