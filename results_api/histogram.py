"""Mergeable log-spaced histograms of durations, for percentiles read from rollups.

    counts = Counter()
    add(counts, 0.085)                 # seconds
    merged = counts + other_counts     # histograms of two buckets merge by adding
    quantile(merged, 0.95)

A duration ``x > 0`` falls in bin ``i = ceil(log(x) / log(GAMMA))`` and is
read back as ``2 * GAMMA**i / (GAMMA + 1)``, within ``RELATIVE_ERROR`` (1%)
of ``x``; negative durations (clock skew) mirror the positive bins, zero
has a bin of its own. See docs/api.md, "Stats from rollups", for the bound
this gives a percentile.
"""

from __future__ import annotations

import functools
import json
import math
from collections import Counter
from collections.abc import Iterable

RELATIVE_ERROR = 0.01
GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
_LOG_GAMMA = math.log(GAMMA)
ZERO = "z"


def bin_of(seconds: float) -> str:
    """Return the key of the bin that holds ``seconds``."""
    if seconds == 0:
        return ZERO
    index = math.ceil(math.log(abs(seconds)) / _LOG_GAMMA)
    return f"{'p' if seconds > 0 else 'n'}{index}"


@functools.lru_cache(maxsize=65536)
def value_of(key: str) -> float:
    """Return the value a bin stands for: within ``RELATIVE_ERROR`` of each of its values."""
    if key == ZERO:
        return 0.0
    magnitude = 2 * GAMMA ** int(key[1:]) / (GAMMA + 1)
    return magnitude if key[0] == "p" else -magnitude


def add(counts: Counter, seconds: float) -> None:
    """Count ``seconds`` in ``counts``."""
    counts[bin_of(seconds)] += 1


def quantile(counts: Counter, fraction: float) -> float | None:
    """Return the ``fraction`` percentile as ``percentile_cont`` interpolates it, from bins.

    The two order statistics it interpolates between are each read as their
    bin's value, so the result is within ``RELATIVE_ERROR`` times the larger
    of their magnitudes of the exact percentile.
    """
    return quantiles(counts, [fraction])[0]


def quantiles(counts: Counter, fractions: Iterable[float]) -> list[float | None]:
    """Return each of ``fractions``' percentiles (see ``quantile``), sorting the bins once."""
    total = sum(counts.values())
    fractions = list(fractions)
    if not total:
        return [None] * len(fractions)
    ordered = sorted((value_of(key), number) for key, number in counts.items())
    return [_interpolate(ordered, total, fraction) for fraction in fractions]


def _interpolate(ordered: list[tuple[float, int]], total: int, fraction: float) -> float:
    position = fraction * (total - 1)
    low_rank, high_rank = math.floor(position), math.ceil(position)
    low = high = None
    seen = 0
    for value, number in ordered:
        seen += number
        if low is None and seen > low_rank:
            low = value
        if seen > high_rank:
            high = value
            break
    assert low is not None and high is not None
    return low + (position - low_rank) * (high - low)


def dumps(counts: Counter) -> str:
    """Return ``counts`` as compact JSON text, for a text column."""
    return json.dumps(dict(counts), separators=(",", ":"), sort_keys=True)


def loads(text: str | None) -> Counter:
    """Return the histogram stored as ``text``."""
    return Counter(json.loads(text)) if text else Counter()
