"""What binds a bulk action's confirmation to its preview: a signed, expiring token.

The token holds the user, the action, the filters (the query string, in a
canonical order), how many rows they matched and the greatest primary key
among them (the run goes no further). A confirmation is refused
unless it comes from the same user, for the same action and filters, within
``BULK_TOKEN_MAX_AGE``, so a filter that now selects many more rows than
the preview showed is never acted on by mistake.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.utils.translation import gettext as _

from ..conf import api_settings

__all__ = ["BadToken", "Selection", "canonical_filters", "read_token", "run_key", "token_for"]

SALT = "results_api.bulk"
# Parameters that change what the answer looks like, not which rows it holds.
NOT_FILTERS = frozenset({"token", "format", "ordering", "cursor", "page_size"})


class BadToken(ValueError):
    """The token cannot confirm this request; the message says why."""


@dataclass(frozen=True)
class Selection:
    """Who previewed which action over which filters, how many rows matched then, up to where."""

    user: Any
    action: str
    filters: str
    matched: int
    last_pk: Any = None


def canonical_filters(query_params: Any) -> str:
    """Return the filters of a query string in one canonical order (what a token binds)."""
    pairs = sorted(
        (name, value)
        for name, values in query_params.lists()
        if name not in NOT_FILTERS
        for value in values
    )
    return urlencode(pairs)


def token_for(selection: Selection) -> str:
    """Return the token of ``selection``, to be sent back with the confirmation."""
    payload = [
        selection.user,
        selection.action,
        selection.filters,
        selection.matched,
        selection.last_pk,
    ]
    return signing.dumps(payload, salt=SALT, compress=True)


def read_token(
    token: Any, user: Any, action: str, filters: str, *, expires: bool = True
) -> Selection:
    """Return the selection ``token`` was issued for, if it may confirm this request.

    ``expires=False`` skips ``BULK_TOKEN_MAX_AGE``: for a token already
    confirmed, whose run is being resumed or answered again.
    """
    if not isinstance(token, str) or not token:
        raise BadToken(_("Send the token of a preview (GET) of this bulk action."))
    max_age = api_settings.BULK_TOKEN_MAX_AGE if expires else None
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
        owner, previewed, previewed_filters, matched, last_pk = payload
    except signing.SignatureExpired:
        raise BadToken(_("The preview has expired; preview the bulk action again.")) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise BadToken(_("This is not a token of a preview of this bulk action.")) from None
    if (owner, previewed, previewed_filters) != (user, action, filters):
        raise BadToken(_("The token is of another preview (another user, action or filters)."))
    return Selection(owner, previewed, previewed_filters, int(matched), last_pk)


def run_key(token: str) -> str:
    """Return the key a confirmed token's run is recorded under."""
    return hashlib.sha256(token.encode()).hexdigest()
