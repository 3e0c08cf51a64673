"""Task and group ids as URL path segments: any id, reachable, and never another route's name.

An id is any string a sender chooses: ``stats``, ``a/b`` or ``100%``. A URL
path segment cannot hold every one of them as it is: a server decodes the
path once before routing, so ``a%2Fb`` arrives as two segments, and
``tasks/stats/`` is the stats route, not the task ``stats``. So an id that is
a reserved name, ``.`` or ``..``, or holds ``/`` or ``%`` is written escaped
(:func:`id_to_segment`): percent-encoded, its first character too when it is
a reserved name, and then encoded once more by ``reverse()`` like any
argument. The server's decoding leaves the single escape, which never
equals a route's name, and the view decodes it (:func:`id_from_segment`).
Every other id is written as it is, so URLs of ordinary ids do not change.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import quote, unquote

__all__ = ["id_from_segment", "id_to_segment"]

# Segments a browser or a server may rewrite (dot segments).
_DOT_SEGMENTS = frozenset({".", ".."})


def id_to_segment(value: str, reserved: Collection[str] = ()) -> str:
    """Return ``value`` as a path segment argument for ``reverse()``.

    ``reserved``: the names of the routes beside the detail (``stats``,
    ``export``...), which the id must not read as.
    """
    if value in reserved or value in _DOT_SEGMENTS:
        return f"%{ord(value[0]):02X}{quote(value[1:], safe='')}"
    if "/" in value or "%" in value:
        return quote(value, safe="")
    return value


def id_from_segment(segment: str) -> str:
    """Return the id a path segment names, escaped (by :func:`id_to_segment`) or not."""
    return unquote(segment) if "%" in segment else segment
