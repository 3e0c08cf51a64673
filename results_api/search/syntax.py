"""The search query language: free terms, quoted phrases and key-targeted values.

    order 123                  rows holding "order" and "123" anywhere
    "bad input"                rows holding the phrase
    kwargs.order_id:123        rows whose keyword argument order_id is exactly 123
    result.exc_type:ValueError rows whose result's key exc_type is exactly ValueError
    kwargs.customer.email:"a b"  a nested key; a quoted value

Every term must match (AND), case-insensitively. A free term or phrase
matches any part of the searchable text (:mod:`results_api.search.text`)
and needs at least ``MIN_TERM_LENGTH`` characters (three: what a trigram
index can serve). A targeted term names a field (``args``, ``kwargs``,
``result``, ``meta``), then keys with dots (lists are looked through), and
matches a value exactly; its value may be short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..fields.catalogue import CONTENT

__all__ = [
    "MAX_QUERY_LENGTH",
    "MAX_TERMS",
    "MIN_TERM_LENGTH",
    "SEARCHED_CONTENT",
    "SearchQuery",
    "SearchSyntaxError",
    "Term",
    "parse",
]

MIN_TERM_LENGTH = 3
MAX_TERMS = 10
MAX_QUERY_LENGTH = 500
# The stored fields a targeted term may name, by their API names (the catalogue's content).
SEARCHED_CONTENT = CONTENT

_FIELD = "|".join(map(re.escape, SEARCHED_CONTENT))
_TOKEN = re.compile(
    rf"""
    (?P<path>(?:{_FIELD})(?:\.[^\s:"]+)*):   # kwargs.order_id:
    | "(?P<quoted>(?:[^"\\]|\\.)*)"    # "a phrase"
    | (?P<bare>[^\s"]+)                # word
    | (?P<open>")                      # an unclosed quote
    """,
    re.VERBOSE | re.IGNORECASE,
)
# The value after a targeted term's key: quoted, or up to the next space.
_VALUE = re.compile(r'"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s"]+)')
_ESCAPE = re.compile(r"\\(.)")


class SearchSyntaxError(ValueError):
    """The query cannot be searched; the message says why, for the user."""


@dataclass(frozen=True)
class Term:
    """One condition: ``text`` anywhere, or ``path`` (``kwargs.order_id``) equal to ``text``."""

    text: str
    path: str | None = None

    @property
    def needle(self) -> str:
        """The lower-case text the searchable text must contain for this term to match."""
        if self.path is None:
            return self.text.lower()
        return f"\n{self.path}={self.text}\n".lower()

    @property
    def sql_needles(self) -> tuple[str, ...]:
        """What the stored text is asked to contain: ``needle``, led by its value alone.

        A key's trigrams (``kwargs``, ``order_id``) are in most rows; the
        value's are rare, and a trigram index reads far less with them given
        as a condition of their own.
        """
        if self.path is None:
            return (self.needle,)
        return (f"={self.text}\n".lower(), self.needle)


@dataclass(frozen=True)
class SearchQuery:
    """The terms of a search, all of which must match."""

    terms: tuple[Term, ...]

    @property
    def needles(self) -> tuple[str, ...]:
        return tuple(term.needle for term in self.terms)

    @property
    def sql_needles(self) -> tuple[str, ...]:
        return tuple(needle for term in self.terms for needle in term.sql_needles)

    def matches(self, searchable_text: str) -> bool:
        """Return whether a row's (lower-case) searchable text matches every term."""
        return all(needle in searchable_text for needle in self.needles)


def parse(query: str) -> SearchQuery:
    """Return the terms of ``query``; raise ``SearchSyntaxError`` saying what is wrong."""
    if len(query) > MAX_QUERY_LENGTH:
        raise SearchSyntaxError(
            _("A search is at most %(count)d characters long.") % {"count": MAX_QUERY_LENGTH}
        )
    terms: list[Term] = []
    position = 0
    while True:
        while position < len(query) and query[position].isspace():
            position += 1
        if position >= len(query):
            break
        match = _TOKEN.match(query, position)
        assert match is not None  # one of the alternatives matches any non-space
        position = match.end()
        if match["open"]:
            raise SearchSyntaxError(_("A quote is not closed."))
        path = None
        if match["path"]:
            path = match["path"].lower()
            match = _VALUE.match(query, position)
            if match is None:
                raise SearchSyntaxError(
                    _("Give a value right after %(key)s: (quote it if it has spaces).")
                    % {"key": path}
                )
            position = match.end()
        quoted = match["quoted"]
        text = match["bare"] if quoted is None else _ESCAPE.sub(r"\1", quoted)
        if path is None and len(text) < MIN_TERM_LENGTH:
            raise SearchSyntaxError(
                _(
                    "Each search term needs at least %(count)d characters; %(term)r is shorter "
                    "(only a value after key: may be shorter)."
                )
                % {"count": MIN_TERM_LENGTH, "term": text}
            )
        terms.append(Term(text, path))
    if not terms:
        raise SearchSyntaxError(_("Give at least one search term."))
    if len(terms) > MAX_TERMS:
        raise SearchSyntaxError(_("A search has at most %(count)d terms.") % {"count": MAX_TERMS})
    return SearchQuery(tuple(terms))
