"""Latency samples summarised for comparison: the median and a nearest-rank percentile.

Nearest rank (no interpolation) so that every printed percentile is a time that was actually
measured: with 100 samples the 99th percentile is the 99th smallest sample.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

TAIL_PERCENT = 99


def nearest_rank(count: int, percent: int) -> int:
    """The 1-based rank of the `percent` percentile among `count` sorted samples."""
    if count < 1:
        raise ValueError("a percentile needs at least one sample")
    # percent * count is an exact integer, so ceil() sees no floating-point error.
    return max(1, math.ceil(percent * count / 100))


def percentile(samples: Sequence[float], percent: int) -> float:
    return sorted(samples)[nearest_rank(len(samples), percent) - 1]


@dataclass(frozen=True)
class Latency:
    """One measured quantity, in seconds."""

    label: str
    count: int
    median: float
    tail: float  # the TAIL_PERCENT percentile, nearest rank

    @classmethod
    def of(cls, label: str, samples: Sequence[float]) -> Latency:
        return cls(
            label, len(samples), statistics.median(samples), percentile(samples, TAIL_PERCENT)
        )


def header() -> str:
    return f"  {'':<42} {'median':>10} {f'p{TAIL_PERCENT}':>10} {'samples':>8}"


def line(latency: Latency) -> str:
    return (
        f"  {latency.label:<42} {latency.median * 1000:>7.1f} ms {latency.tail * 1000:>7.1f} ms"
        f" {latency.count:>8}"
    )


def ratio(label: str, numerator: Latency, denominator: Latency) -> str:
    value = numerator.median / denominator.median
    return f"  {label:<60} {value:>7.2f}x"
