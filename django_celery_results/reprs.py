"""The Python reprs Celery stores as ``args`` and ``kwargs``: parse, check and render them.

With ``result_extended``, a row's ``args`` and ``kwargs`` are the message's
``argsrepr`` and ``kwargsrepr``, which Celery builds with
``celery.utils.saferepr.saferepr(args, 1024, maxlevels=task_repr_maxlevels)``
(``app.amqp.argsrepr_maxsize`` and ``kwargsrepr_maxsize``, 1,024 characters;
``task_repr_maxlevels``, 3). What it leaves out shows as ``...``:

* ``(1, 2, ...)``: the repr reached its maximum length inside a container;
* ``[...]``, ``{...}``, ``(...)``: a container nested deeper than the levels;
* ``'abc...'``: a string (or number, or key) cut at the maximum length.

``ast.literal_eval`` reads the first two as ``Ellipsis`` and the third as a
string that really ends in ``...``, so a parse alone does not tell whether
the repr is whole. Nor is saferepr an exact repr: it escapes quotes but not
backslashes, so ``'C:\\temp'`` parses as ``C:<tab>emp``.
:func:`exact_literal` accepts a repr only when none of this can have
happened, and :func:`parse_literal` / :func:`render_literal` serve redaction.
"""

from __future__ import annotations

import ast
import threading
from typing import Any

from celery.utils.saferepr import saferepr

from .content import MAX_DEPTH, exceeds_depth

__all__ = [
    "MAX_PARSED_LENGTH",
    "NotALiteral",
    "exact_literal",
    "parse_literal",
    "render_literal",
    "truncation_marks",
]

# Longer text is not parsed: Celery's reprs are about 1 KB, and parsing cost grows with size.
MAX_PARSED_LENGTH = 100_000
# Parses take turns. CPython 3.11 keeps the AST constructor's recursion depth in state all
# threads share: a thread that starts a parse while another's is half built (a garbage
# collection run in between lets it) makes that one fail with "SystemError: AST constructor
# recursion depth mismatch" (a threaded server's search answered a 500).
_PARSING = threading.RLock()
TRUNCATION_SUFFIX = "..."


class NotALiteral(ValueError):
    """The text is not the repr of a Python literal, or not one that can be trusted."""


def parse_literal(text: str) -> Any:
    """Return the value of the Python literal ``text``; raise ``NotALiteral`` if it is none.

    A literal nested deeper than ``MAX_DEPTH`` levels is refused too: masking
    and rendering it again would recurse that deep.
    """
    if len(text) > MAX_PARSED_LENGTH:
        raise NotALiteral(f"longer than {MAX_PARSED_LENGTH:,} characters")
    try:
        with _PARSING:
            value = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
        raise NotALiteral(f"not a Python literal ({type(exc).__name__})") from None
    if sum(map(text.count, "([{")) > MAX_DEPTH and exceeds_depth(value):
        raise NotALiteral(f"nested deeper than {MAX_DEPTH} levels")
    return value


def truncation_marks(value: Any) -> bool:
    """Return whether ``value`` holds an ``Ellipsis`` or a string ending in ``...``.

    These are what saferepr leaves where it cut; a genuine string ending in
    ``...`` cannot be told apart from a cut one, so it counts as cut too.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if item is Ellipsis:
            return True
        if isinstance(item, str) and item.endswith(TRUNCATION_SUFFIX):
            return True
        if isinstance(item, bytes) and item.endswith(TRUNCATION_SUFFIX.encode()):
            return True
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
    return False


def exact_literal(text: str) -> Any:
    """Return the value ``text`` is the whole, exact repr of; raise ``NotALiteral`` otherwise.

    Refused: text that does not parse; a value with truncation marks; and
    text that may be saferepr's rendering of another value. Celery's
    ``saferepr`` (unabridged) rendering the value back as ``text`` proves it
    (saferepr is one-to-one); so does ``repr`` doing it in text without a
    backslash, the only character the two read differently: saferepr's
    ``'C:\temp'`` is also ``repr`` of ``C:<tab>emp``.
    """
    value = parse_literal(text)
    if truncation_marks(value):
        raise NotALiteral("cut short by Celery's argsrepr/kwargsrepr maximum length or depth")
    if text != saferepr(value, maxlen=None, maxlevels=0) and ("\\" in text or text != repr(value)):
        raise NotALiteral("not an exact repr (saferepr does not escape backslashes)")
    return value


def render_literal(value: Any) -> str:
    """Return the repr of a parsed literal, with ``Ellipsis`` written back as ``...``."""
    if value is Ellipsis:
        return TRUNCATION_SUFFIX
    if isinstance(value, dict):
        items = (f"{render_literal(key)}: {render_literal(item)}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(render_literal(item) for item in value) + "]"
    if isinstance(value, tuple):
        if len(value) == 1:
            return f"({render_literal(value[0])},)"
        return "(" + ", ".join(render_literal(item) for item in value) + ")"
    if isinstance(value, (set, frozenset)) and value:
        return "{" + ", ".join(render_literal(item) for item in value) + "}"
    return repr(value)
