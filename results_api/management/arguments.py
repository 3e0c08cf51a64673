"""What the out-of-band commands share: how far to go (``--until``), and on which database."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import CommandError
from django.utils.dateparse import parse_datetime

__all__ = ["add_until_and_database", "until_of"]


def add_until_and_database(parser: Any, until_help: str) -> None:
    """Add ``--until`` (an ISO 8601 date-time) and ``--database`` (an alias) to ``parser``."""
    parser.add_argument("--until", help=until_help)
    parser.add_argument(
        "--database", help="the database alias (default: the router's for writes of results)"
    )


def until_of(options: dict[str, Any]) -> datetime.datetime | None:
    """Return ``--until`` as an aware date-time, None when not given; refuse anything else."""
    if not options["until"]:
        return None
    until = parse_datetime(options["until"])
    if until is None or until.tzinfo is None:
        raise CommandError("--until must be an ISO 8601 date-time with a time zone.")
    return until
