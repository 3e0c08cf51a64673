"""Celery's argument reprs, parsed and checked: kept here for imports of the older path.

The module lives in :mod:`django_celery_results.reprs`, beside the masking
that needs it, so that the result store's own pages can mask without
importing the API.
"""

from django_celery_results.reprs import (
    MAX_PARSED_LENGTH,
    NotALiteral,
    exact_literal,
    parse_literal,
    render_literal,
    truncation_marks,
)

__all__ = [
    "MAX_PARSED_LENGTH",
    "NotALiteral",
    "exact_literal",
    "parse_literal",
    "render_literal",
    "truncation_marks",
]
