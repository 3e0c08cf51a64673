"""Mergeable log-spaced histograms of durations, for percentiles read from rollups.

    counts = Counter()
    add(counts, 0.085)                     # seconds
    quantile(counts + other_counts, 0.95)  # histograms of two buckets merge by adding
    stored = dumps(counts)                 # compact text for a rollup row
    merged_quantiles([decode(stored), ...], [0.5, 0.95])   # many rows, never merged in Python

A duration ``x > 0`` falls in bin ``i = ceil(log(x) / log(GAMMA))`` and is
read back as ``2 * GAMMA**i / (GAMMA + 1)``, within ``RELATIVE_ERROR`` (1%)
of ``x``; negative durations (clock skew) mirror the positive bins, zero
has a bin of its own. A bin is known by its ordinal, an integer that grows
with the values it holds: negative bins < ``ZERO`` (0) < positive bins.
See docs/api.md, "Stats from rollups", for the bound this gives a
percentile.

Stored, a histogram is its ordinals in order and their cumulative counts,
packed as little-endian integers and base64: decoding is a C routine, and
a percentile over many stored rows is a binary search over the ordinals
in which each probe takes one ``bisect`` per row, so its cost does not
depend on how many results each bin counts.
"""

from __future__ import annotations

import base64
import functools
import math
import sys
from array import array
from binascii import a2b_base64
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import accumulate, repeat
from operator import floordiv, getitem, mul, neg, sub
from typing import Any

RELATIVE_ERROR = 0.01
GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
LOG_GAMMA = math.log(GAMMA)
ZERO = 0
# Positive bins are BIAS + i, negative ones -(BIAS + i): i spans 1e-35 s to 1e35 s.
BIAS = 4096
# Ordinals fit in 16 bits; counts take the narrowest of these that holds a row's total.
_ORDINALS = "h"
_COUNT_TYPES = "HIQ"
_WIDTHS = {code: array(code).itemsize for code in _COUNT_TYPES}
_SWAP = sys.byteorder == "big"
# The stored widths: the same on every platform Python supports.
assert array(_ORDINALS).itemsize == 2 and list(_WIDTHS.values()) == [2, 4, 8]

# A decoded histogram: (ordinals ascending, cumulative counts with a leading 0).
Part = tuple[Sequence[int], Sequence[int]]


def ordinal_of(seconds: float) -> int:
    """Return the ordinal of the bin that holds ``seconds``."""
    if seconds == 0:
        return ZERO
    index = math.ceil(math.log(abs(seconds)) / LOG_GAMMA)
    index = BIAS + min(max(index, 1 - BIAS), BIAS - 1)
    return index if seconds > 0 else -index


@functools.lru_cache(maxsize=16384)
def value_of(ordinal: int) -> float:
    """Return the value a bin stands for: within ``RELATIVE_ERROR`` of each of its values."""
    if ordinal == ZERO:
        return 0.0
    magnitude = 2 * GAMMA ** (abs(ordinal) - BIAS) / (GAMMA + 1)
    return magnitude if ordinal > 0 else -magnitude


def add(counts: Counter, seconds: float) -> None:
    """Count ``seconds`` in ``counts``."""
    counts[ordinal_of(seconds)] += 1


def quantile(counts: Counter, fraction: float) -> float | None:
    """Return the ``fraction`` percentile as ``percentile_cont`` interpolates it, from bins.

    The two order statistics it interpolates between are each read as their
    bin's value, so the result is within ``RELATIVE_ERROR`` times the larger
    of their magnitudes of the exact percentile.
    """
    return quantiles(counts, [fraction])[0]


def quantiles(counts: Counter, fractions: Iterable[float]) -> list[float | None]:
    """Return each of ``fractions``' percentiles (see ``quantile``) of one histogram."""
    return merged_quantiles([part_of(counts)], fractions)


def part_of(counts: Counter) -> Part:
    """Return ``counts`` in the form ``merged_quantiles`` reads."""
    ordinals = sorted(key for key, number in counts.items() if number)
    return ordinals, [0, *accumulate(counts[key] for key in ordinals)]


def merged_quantiles(parts: Sequence[Part], fractions: Iterable[float]) -> list[float | None]:
    """Return each of ``fractions``' percentiles of the histograms ``parts`` together.

    An order statistic is the smallest ordinal at or below which more
    results lie than its rank: found by bisecting the ordinals between
    those that the parts' own order statistics of the same proportional
    rank bound it by, where a probe counts the results with one ``bisect``
    per part. The per-part work runs in ``map``, so a percentile costs a
    few C calls per stored row, whatever the number of bins.
    """
    if len(parts) == 1:
        return _one_quantiles(*parts[0], fractions)
    fractions = list(fractions)
    parts = [part for part in parts if part[1][-1]]
    if len(parts) == 1:
        return _one_quantiles(*parts[0], fractions)
    totals = [cumulative[-1] for _, cumulative in parts]
    total = sum(totals)
    if not total:
        return [None] * len(fractions)
    select, at_or_below = _several(parts, totals, total)
    figures: list[float | None] = []
    for fraction in fractions:
        position = fraction * (total - 1)
        low_rank, high_rank = math.floor(position), math.ceil(position)
        low_ordinal = select(low_rank)
        high_ordinal = low_ordinal
        # Most often the next rank lies in the same bin: one probe tells.
        if high_rank != low_rank and at_or_below(low_ordinal) <= high_rank:
            high_ordinal = select(high_rank)
        low, high = value_of(low_ordinal), value_of(high_ordinal)
        figures.append(low + (position - low_rank) * (high - low))
    return figures


def _one_quantiles(
    ordinals: Sequence[int], cumulative: Sequence[int], fractions: Iterable[float]
) -> list[float | None]:
    """Return ``merged_quantiles`` of one histogram: a ``bisect`` or two per percentile."""
    total = cumulative[-1]
    figures: list[float | None] = []
    for fraction in fractions:
        if not total:
            figures.append(None)
            continue
        position = fraction * (total - 1)
        low_rank, high_rank = math.floor(position), math.ceil(position)
        found = bisect_right(cumulative, low_rank)
        low = high = value_of(ordinals[found - 1])
        if cumulative[found] <= high_rank:  # the next rank lies in a later bin
            high = value_of(ordinals[bisect_right(cumulative, high_rank) - 1])
        figures.append(low + (position - low_rank) * (high - low))
    return figures


def _several(parts: Sequence[Part], totals: list[int], total: int) -> tuple[Any, Any]:
    """Return ``select`` and ``at_or_below`` of several histograms together."""
    ordinal_lists = [ordinals for ordinals, _ in parts]
    cumulatives = [cumulative for _, cumulative in parts]

    def at_or_below(ordinal: int) -> int:
        return sum(map(getitem, cumulatives, map(bisect_right, ordinal_lists, repeat(ordinal))))

    def own(ranks: Iterable[int]) -> Iterable[int]:
        """Each part's order statistic at its rank in ``ranks``."""
        found = map(bisect_right, cumulatives, ranks)
        return map(getitem, ordinal_lists, map(sub, found, repeat(1)))

    def select(rank: int) -> int:
        # Fewer than rank + 1 results lie below the least of the parts' statistics at
        # floor(rank * n / total), and at least rank + 1 at or below the greatest at
        # ceil((rank + 1) * n / total) - 1: the answer lies between them.
        low = min(own(map(floordiv, map(mul, totals, repeat(rank)), repeat(total))))
        above = map(neg, map(floordiv, map(mul, totals, repeat(-rank - 1)), repeat(total)))
        high = max(own(map(sub, above, repeat(1))))
        while low < high:
            middle = (low + high) // 2
            if at_or_below(middle) > rank:
                high = middle
            else:
                low = middle + 1
        return low

    return select, at_or_below


def dumps(counts: Counter) -> str:
    """Return ``counts`` as compact text for a text column ("" when empty)."""
    ordinals, cumulative = part_of(counts)
    if not ordinals:
        return ""
    total = cumulative[-1]
    code = next(code for code in _COUNT_TYPES if total < 1 << (8 * _WIDTHS[code]))
    packed_ordinals, packed_counts = array(_ORDINALS, ordinals), array(code, cumulative)
    if _SWAP:
        packed_ordinals.byteswap()
        packed_counts.byteswap()
    return code + base64.b64encode(packed_ordinals.tobytes() + packed_counts.tobytes()).decode()


def decode(text: str | None) -> Part:
    """Return the histogram stored as ``text`` in the form ``merged_quantiles`` reads."""
    if not text:
        return (), (0,)
    code, raw = text[0], a2b_base64(text[1:])
    width = _WIDTHS[code]
    bins = (len(raw) - width) // (2 + width)
    ordinals, cumulative = array(_ORDINALS), array(code)
    ordinals.frombytes(raw[: 2 * bins])
    cumulative.frombytes(raw[2 * bins :])
    if _SWAP:
        ordinals.byteswap()
        cumulative.byteswap()
    return ordinals, cumulative


def loads(text: str | None) -> Counter:
    """Return the histogram stored as ``text`` as counts per ordinal."""
    ordinals, cumulative = decode(text)
    return Counter(
        dict(zip(ordinals, map(int.__sub__, cumulative[1:], cumulative[:-1]), strict=True))
    )
