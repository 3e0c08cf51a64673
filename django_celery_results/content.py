"""Stored content decoded: JSON only, never pickle, never deeper than ``MAX_DEPTH``.

Every page that shows a stored result, meta, argument or group (the status
views, the results API and its CSV export, the admin) decodes it with
:func:`decode_json`, and retry recovers a task's arguments with
:func:`decode_exact`, so that whatever a worker stored answers the same way
everywhere. One rule for NaN: decoding reads NaN, Infinity and -Infinity
(which Celery's JSON writes) as floats, as Python's json does, so that
recovered arguments are the task's own; the value for display, which is
written out as strict JSON, has them as ``None`` (:func:`decode_json` is
the one place that does it).

* content of any type but JSON (pickle above all: decoding it runs code) is
  never decoded (:func:`is_decodable`);
* text that is not JSON raises :class:`Undecodable`; for display, a lone
  surrogate (``"\\ud800"``, which no UTF-8 output can carry) becomes U+FFFD;
* containers nested deeper than ``MAX_DEPTH`` levels are replaced by the
  string ``TOO_DEEP``: a result a few hundred levels deep (the worker's
  encoder accepts about a thousand) shows its first levels, and no later
  step (masking, rendering, CSV) recurses past them.

    decode_json('{"n": [1, NaN]}')  ->  {"n": [1, None]}
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = [
    "JSON_CONTENT_TYPES",
    "MAX_DEPTH",
    "TOO_DEEP",
    "Undecodable",
    "decode_exact",
    "decode_json",
    "exceeds_depth",
    "is_decodable",
]

# The content types whose stored text is decoded for display; nothing else is.
JSON_CONTENT_TYPES = frozenset({"application/json"})
# Containers deeper than this are not shown (their place holds TOO_DEEP).
MAX_DEPTH = 50
TOO_DEEP = f"[not shown: nested deeper than {MAX_DEPTH} levels]"

# NaN, Infinity and -Infinity are read as floats (the one rule: see the module's docstring).
_DECODER = json.JSONDecoder()
# A JSON string (skipped whole, so brackets inside it do not count), or a bracket.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_EMPTY_PAIR = re.compile(r"\[\]|\{\}")
# What only a value with a lone surrogate or a NaN or Infinity in it holds in its text.
_NOT_DISPLAYABLE = re.compile(r"\\u[dD][89a-fA-F]|NaN|Infinity")


class Undecodable(ValueError):
    """The stored text is not JSON."""


def is_decodable(content_type: str | None) -> bool:
    """Return whether content stored as ``content_type`` is decoded for display (JSON only)."""
    return content_type in JSON_CONTENT_TYPES


def decode_json(text: str | bytes) -> Any:
    """Return stored JSON ``text`` for display, cut at ``MAX_DEPTH``; ``Undecodable`` if none.

    What strict JSON output cannot hold is replaced: NaN and +-Infinity by
    ``None``, a lone surrogate by U+FFFD.
    """
    text = _as_text(text)
    if text.count("[") + text.count("{") > MAX_DEPTH and _nests_deeper(text, MAX_DEPTH):
        text = _cut_below(text, MAX_DEPTH)
    value = _decode(text)
    if _NOT_DISPLAYABLE.search(text):
        value = _displayable(value)
    return value


def decode_exact(text: str | bytes) -> Any:
    """Return the value of stored JSON ``text`` exactly, NaN and +-Infinity as floats.

    ``Undecodable`` if it is not JSON or nests deeper than ``MAX_DEPTH``
    (cutting it would change it). Retry recovers arguments with this.
    """
    value = _decode(_as_text(text))
    if exceeds_depth(value):
        raise Undecodable(f"nested deeper than {MAX_DEPTH} levels")
    return value


def _as_text(text: str | bytes) -> str:
    if isinstance(text, bytes):
        try:
            text = text.decode()
        except UnicodeDecodeError:
            raise Undecodable("not UTF-8 text") from None
    if not isinstance(text, str):
        raise Undecodable(f"not text but {type(text).__name__}")
    return text


def _decode(text: str) -> Any:
    try:
        return _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        raise Undecodable(f"not JSON ({exc})") from None


def _displayable(value: Any) -> Any:
    """Return decoded JSON with NaN and +-Infinity as None and lone surrogates as U+FFFD.

    The depth is bounded here: :func:`decode_json` cut the text first.
    """
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {_displayable(key): _displayable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_displayable(item) for item in value]
    return value


def _nests_deeper(text: str, depth: int) -> bool:
    """Return whether JSON ``text`` nests containers more than ``depth`` levels (or is malformed).

    Regular expressions do the work: strings out, then only the brackets
    kept, then one innermost level of pairs removed per pass, ``depth``
    passes at most. A wide value with many containers costs a few passes.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for _ in range(depth):
        if not brackets:
            return False
        brackets, removed = _EMPTY_PAIR.subn("", brackets)
        if not removed:
            return True  # unbalanced: not JSON; the decoder will say so
    return bool(brackets)


def _cut_below(text: str, depth: int) -> str:
    """Return JSON ``text`` with every container deeper than ``depth`` replaced by ``TOO_DEEP``.

    One pass over the strings and brackets, no recursion: this runs before
    decoding, so that the decoder never descends past ``depth`` either.
    Text that is not JSON stays not JSON.
    """
    pieces, position, level, cut_at = [], 0, 0, None
    for token in _TOKEN.finditer(text):
        mark = token.group()
        if mark[0] == '"':
            continue
        if mark in "[{":
            level += 1
            if level == depth + 1 and cut_at is None:
                pieces += [text[position : token.start()], json.dumps(TOO_DEEP)]
                cut_at = level
        else:
            if cut_at == level:
                position, cut_at = token.end(), None
            level -= 1
    if cut_at is None:
        pieces.append(text[position:])
    return "".join(pieces)


def exceeds_depth(value: Any, depth: int = MAX_DEPTH) -> bool:
    """Return whether ``value`` nests containers more than ``depth`` levels (no recursion)."""
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = [*item.keys(), *item.values()]
        elif isinstance(item, (list, tuple, set, frozenset)):
            children = list(item)
        else:
            continue
        if level + 1 > depth:
            return True
        stack.extend((child, level + 1) for child in children)
    return False
