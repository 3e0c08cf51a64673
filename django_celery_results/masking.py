"""Masking: the values of secret keys hidden in stored content before any page shows it.

    rules = MaskingRules(keys=frozenset({"password"}), mask="********")
    mask_data({"user": "u", "password": "x"}, rules)   -> {"user": "u", "password": "********"}
    mask_repr("Creds(user='u', password='x')", rules)  -> "Creds(user='u', password='********')"

What is masked, at any depth, wherever a key names a secret (``keys``,
case-insensitive, or ``hook(key)``):

* in decoded JSON (a ``result``, a ``meta``, arguments stored as JSON): the
  value of a secret mapping key;
* in Celery's Python reprs of ``args``/``kwargs``: a repr that parses as a
  literal is masked as data and rendered again; one that does not (cut
  short by Celery, or holding an object's repr) is masked by pattern: the
  value after each secret ``'key':`` or ``key=`` (an object's repr,
  ``Creds(password='x')``) is replaced when it is a simple one (a closed
  string, a number, a name); if any is not, the whole text is the mask,
  since its end cannot be found for sure.

What is not masked: free text. Strings are shown as they are, whatever
they say (an exception message ``"bad password hunter2"``, a traceback, a
string value ``"password=x"``), and positional values have no key.

The result store's own pages (the status views) mask with the rules of the
``CELERY_RESULTS_REDACT_*`` settings (:func:`store_masking_rules`); the
results API uses the same functions with its ``RESULTS_API`` rules, which
default to these.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import conf
from .content import MAX_DEPTH, TOO_DEEP
from .reprs import NotALiteral, parse_literal, render_literal
from .setting_caches import cached_setting

__all__ = ["MaskingRules", "mask_arguments", "mask_data", "mask_repr", "store_masking_rules"]

# A quoted key followed by a colon, as a dict repr writes it: 'password': or "pass'word":
_KEY = re.compile(r"""(?P<q>['"])(?P<key>(?:(?!(?P=q))[^\\\n]|\\.)*)(?P=q)\s*:\s*""")
# A keyword followed by one equals sign, as an object's repr writes it: password=
_KEYWORD = re.compile(r"""(?<![\w.'"])(?P<key>[A-Za-z_]\w*)\s*=(?!=)\s*""")
# A value whose end is certain: a closed string, a number or a name, then , } ) or ]
_SIMPLE_VALUE = re.compile(
    r"""(?:[bBuU]?'(?:[^'\\\n]|\\.)*'|[bBuU]?"(?:[^"\\\n]|\\.)*"|[-+]?[\w.]+)(?=\s*[,})\]])"""
)


@dataclass(frozen=True)
class MaskingRules:
    """Which keys are secret, and what their values show instead."""

    keys: frozenset[str] = frozenset()
    mask: str = "********"
    hook: Callable[[str], bool] | None = None

    @classmethod
    def build(cls, keys: Any, mask: str, hook: Callable[[str], bool] | None = None) -> MaskingRules:
        """Return rules for ``keys`` (any iterable of names, matched case-insensitively)."""
        return cls(frozenset(str(key).casefold() for key in keys or ()), str(mask), hook)

    @property
    def active(self) -> bool:
        """Whether any key can be secret (otherwise masking leaves everything as it is)."""
        return bool(self.keys) or self.hook is not None

    def may_name_a_secret(self, text: str) -> bool:
        """Return False when no part of ``text`` can be a secret key (then nothing is masked).

        Only the hook can judge keys not in ``keys``; without one, a text that
        holds none of them (ignoring case) names no secret.
        """
        if self.hook is not None:
            return True
        return _any_of(self.keys).search(text.casefold()) is not None

    def may_mask_json(self, text: Any) -> bool:
        """Return False when stored JSON ``text`` holds no key these rules mask.

        A key in JSON text is written as it is unless it has an escape
        sequence, so a text without one that names no secret holds none.
        """
        if not self.active:
            return False
        return not isinstance(text, str) or "\\" in text or self.may_name_a_secret(text)

    def is_secret(self, key: Any) -> bool:
        """Return whether the value under ``key`` is masked.

        A bytes key (``b'password'``, as a pickle or msgpack serializer carries
        it) is judged by its text, like the same key written as a string.
        """
        if isinstance(key, bytes):
            key = key.decode("utf-8", "replace")
        elif not isinstance(key, str):
            return False
        if key.casefold() in self.keys:
            return True
        return bool(self.hook is not None and self.hook(key))


@functools.lru_cache(maxsize=16)
def _any_of(keys: frozenset[str]) -> re.Pattern[str]:
    """Return a pattern finding any of ``keys`` in a text; with no keys, one that never matches."""
    return re.compile("|".join(map(re.escape, sorted(keys))) or r"(?!)")


def _mask(value: Any, rules: MaskingRules, depth: int = 0) -> tuple[Any, bool]:
    """Return ``value`` with secret keys' values masked, and whether anything changed.

    What nothing changed in is returned as it is, not copied.
    """
    if not isinstance(value, (dict, list, tuple)):
        return value, False
    if depth > MAX_DEPTH:
        return TOO_DEEP, True
    if isinstance(value, dict):
        masked = None
        for key, item in value.items():
            if rules.is_secret(key):
                new = rules.mask
            elif isinstance(item, (dict, list, tuple)):
                new, changed = _mask(item, rules, depth + 1)
                if not changed:
                    continue
            else:
                continue
            if masked is None:
                masked = dict(value)
            masked[key] = new
        return (value, False) if masked is None else (masked, True)
    items = [_mask(item, rules, depth + 1) for item in value]
    if not any(changed for _, changed in items):
        return value, False
    return type(value)(item for item, _ in items), True


def mask_data(value: Any, rules: MaskingRules) -> Any:
    """Return decoded JSON (or a parsed literal) with the secret keys' values masked."""
    if not rules.active:
        return value
    return _mask(value, rules)[0]


def mask_repr(text: str, rules: MaskingRules) -> str:
    """Return a Python repr with the secret keys' values masked, unchanged if it has none."""
    if not rules.active or not rules.may_name_a_secret(text):
        return text
    secret = [
        match
        for pattern in (_KEY, _KEYWORD)
        for match in pattern.finditer(text)
        if rules.is_secret(match["key"])
    ]
    if not secret:
        return text
    try:
        value = parse_literal(text)
    except NotALiteral:
        return _mask_by_pattern(text, secret, rules)
    # A literal holds no keyword (no call parses): a key= found is inside a string, free text.
    masked, changed = _mask(value, rules)
    return render_literal(masked) if changed else text


def _mask_by_pattern(text: str, secret: list[re.Match[str]], rules: MaskingRules) -> str:
    """Mask the simple value after each secret key; the whole text if one is not simple."""
    spans = []
    for match in secret:
        value = _SIMPLE_VALUE.match(text, match.end())
        if value is None:
            return rules.mask
        spans.append(value.span())
    pieces, position = [], 0
    for start, end in sorted(spans):
        if start < position:
            continue  # a key inside a value already masked
        pieces += [text[position:start], repr(rules.mask)]
        position = end
    return "".join([*pieces, text[position:]])


def mask_arguments(value: Any, rules: MaskingRules) -> Any:
    """Return stored ``args``/``kwargs`` masked: a repr string, or decoded JSON."""
    if isinstance(value, str):
        return mask_repr(value, rules)
    return mask_data(value, rules)


@cached_setting(conf.REDACT_KEYS, conf.REDACT_MASK, conf.REDACT_HOOK)
def store_masking_rules() -> MaskingRules:
    """Return the rules of ``CELERY_RESULTS_REDACT_KEYS``, ``_HOOK`` and ``_MASK``."""
    return MaskingRules.build(
        conf.get_setting(conf.REDACT_KEYS),
        conf.get_setting(conf.REDACT_MASK),
        conf.get_redact_hook(),
    )
