"""The searchable text of a task row: what the API shows of it, secrets masked, one value a line.

    \\ntask_id=4f2c...\\ntask_name=shop.tasks.charge\\nkwargs.order_id=123\\nkwargs.card=********\\n

Each line is a path and a value: ``args``, ``kwargs``, ``result`` and
``meta`` are decoded as the API decodes them (JSON content only), masked
with the API's redaction rules (:mod:`results_api.redaction`), and
flattened: a mapping's keys join the path with dots, a list's items share
their list's path. Celery's reprs of ``args``/``kwargs`` are masked as the
API masks them, then flattened when they parse as a literal and kept
whole otherwise. A failure's result holds its exception type and message
(``result.exc_type=ValueError``); the traceback is never part of the text,
so no one finds a task through a traceback they may not see. Fields the
project hides (``EXCLUDE_FIELDS``) are left out.

The text is lower-case (searches ignore case) and bounded: each value is
cut at ``MAX_VALUE_LENGTH`` characters and the whole at ``MAX_TEXT_LENGTH``.
``fingerprint(model)`` names the rules a text was built with, so that a
change of them rebuilds the side table instead of matching stale text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django_celery_results.content import JSON_CONTENT_TYPES, Undecodable, decode_json
from django_celery_results.models.abstract import AbstractTaskResult
from django_celery_results.reprs import NotALiteral, parse_literal

from ..content.redaction import masking_rules, redact_arguments, redact_data
from ..fields.catalogue import STANDARD_FIELDS
from ..fields.rules import field_rules

__all__ = [
    "COLUMNS",
    "MAX_TEXT_LENGTH",
    "MAX_VALUE_LENGTH",
    "excerpt",
    "fingerprint",
    "row_lines",
    "searchable_text",
    "shown_lines",
]

# Bumped whenever the text built from the same row and rules changes.
VERSION = 1
MAX_VALUE_LENGTH = 1_000
MAX_TEXT_LENGTH = 20_000
MAX_FLATTEN_DEPTH = 20
# The column that says whether the stored content is JSON (decoded) or not (left out).
CONTENT_TYPE = "content_type"
# The searched fields (each a stored column), in the catalogue's order: the text's.
_SEARCHED = tuple(field for field in STANDARD_FIELDS if field.searched and field.column)
# The model columns the text is built from, in the order ``row_lines`` takes them.
COLUMNS = (*(str(field.column) for field in _SEARCHED), CONTENT_TYPE)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    elif value is None or isinstance(value, bool):
        text = json.dumps(value)
    elif value is Ellipsis:
        text = "..."
    else:
        text = str(value)
    # One value, one line: no value can pass for another line.
    return " ".join(text[:MAX_VALUE_LENGTH].splitlines())


def _flatten(path: str, value: Any, depth: int = 0) -> Iterator[str]:
    if isinstance(value, dict) and depth < MAX_FLATTEN_DEPTH:
        for key, item in value.items():
            yield from _flatten(f"{path}.{_scalar(key)}", item, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)) and depth < MAX_FLATTEN_DEPTH:
        for item in value:
            yield from _flatten(path, item, depth + 1)
    else:
        yield f"{path}={_scalar(value)}"


def _content_lines(name: str, stored: Any, is_repr: bool) -> Iterator[str]:
    try:
        decoded = decode_json(stored)
    except Undecodable:
        return
    if is_repr:
        masked = redact_arguments(decoded)
        if isinstance(masked, str):
            try:
                masked = parse_literal(masked)
            except NotALiteral:
                yield f"{name}={_scalar(masked)}"
                return
    else:
        masked = redact_data(decoded)
    yield from _flatten(name, masked)


def row_lines(model: type[AbstractTaskResult], row: Sequence[Any]) -> list[str]:
    """Return the lines of a row given as the values of ``COLUMNS``, as the API shows them."""
    *searched, content_type = row
    visible = _visible(model)
    json_content = content_type in JSON_CONTENT_TYPES
    lines = []
    for field, value in zip(_SEARCHED, searched, strict=True):
        if field.name not in visible or value is None:
            continue
        if not field.content:
            lines.append(f"{field.name}={_scalar(value)}")
        elif json_content:
            lines.extend(_content_lines(field.name, value, field.arguments))
    return lines


def shown_lines(item: Mapping[str, Any]) -> Iterator[str] | None:
    """Return the lines of a task from the API's own answer ``item`` (already masked), lazily.

    The same lines as ``row_lines`` without decoding and masking the stored
    content a second time; None when ``item`` does not say its content type
    (a project that hides it), so that the caller builds them from the row.
    """
    if CONTENT_TYPE not in item:
        return None
    return _shown_lines(item)


def _shown_lines(item: Mapping[str, Any]) -> Iterator[str]:
    json_content = item[CONTENT_TYPE] in JSON_CONTENT_TYPES
    for field in _SEARCHED:
        value = item.get(field.name)
        if value is None:
            continue
        if not field.content:
            yield f"{field.name}={_scalar(value)}"
            continue
        if not json_content:
            continue
        if field.arguments and isinstance(value, str):
            try:
                value = parse_literal(value)
            except NotALiteral:
                yield f"{field.name}={_scalar(value)}"
                continue
        yield from _flatten(field.name, value)


def searchable_text(model: type[AbstractTaskResult], row: Sequence[Any]) -> str:
    """Return the lower-case searchable text of a row given as the values of ``COLUMNS``."""
    text = "\n" + "\n".join(row_lines(model, row)) + "\n"
    if len(text) > MAX_TEXT_LENGTH:
        text = text[: text.rfind("\n", 0, MAX_TEXT_LENGTH) + 1]
    return text.lower()


def excerpt(lines: Iterable[str], needles: Sequence[str], width: int = 120) -> str | None:
    """Return the first line that matches one of ``needles``, cut to about ``width`` around it.

    ``lines`` is read only up to that line: the rest of a row is never built.
    """
    bare_needles = [(needle, needle.strip("\n")) for needle in needles]
    for line in lines:
        lowered = line.lower()
        for needle, bare in bare_needles:
            at = lowered.find(bare)
            if at < 0 or (needle != bare and lowered != bare):
                continue
            if len(line) <= width:
                return line
            start = max(0, min(at - width // 3, len(line) - width))
            cut = line[start : start + width]
            return ("…" if start else "") + cut + ("…" if start + width < len(line) else "")
    return None


def _visible(model: type[AbstractTaskResult]) -> frozenset[str]:
    rules = field_rules(model)
    return frozenset(field.name for field in _SEARCHED if rules.is_visible(field.name))


def fingerprint(model: type[AbstractTaskResult]) -> str:
    """Return what the searchable text of ``model``'s rows depends on, as a short hash.

    The masking rules (keys, mask, the hook's dotted name), the fields shown,
    the model and this module's ``VERSION``. A hook whose code changes under
    the same name is not seen: rebuild the index then (``--rebuild``).
    """
    rules = masking_rules()
    hook = rules.hook
    described = {
        "version": VERSION,
        "model": model._meta.label_lower,
        "keys": sorted(rules.keys),
        "mask": rules.mask,
        "hook": None
        if hook is None
        else f"{hook.__module__}.{getattr(hook, '__qualname__', hook)}",
        "fields": sorted(_visible(model)),
    }
    encoded = json.dumps(described, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]
