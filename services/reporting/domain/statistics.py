"""Means, medians and a 95 % confidence interval of a mean, with the standard library only.

The interval is mean ± t · s / √n with Student's t at n − 1 degrees of freedom (two-sided,
95 %). scipy is not a dependency, so the critical values are a table: exact to three decimals
for 1–30 degrees of freedom and at 40, 50, 60, 80, 100 and 120 (checked against a numerical
integral of the t density in the tests). Between listed values the next smaller listed degrees
of freedom are used, whose value is larger, so the interval is at most slightly too wide;
above 120 the normal value 1.960 is used (t at 120 is 1.980, 1 % more).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

T_975: dict[int, float] = {
    1: 12.706,
    2: 4.303,
    3: 3.182,
    4: 2.776,
    5: 2.571,
    6: 2.447,
    7: 2.365,
    8: 2.306,
    9: 2.262,
    10: 2.228,
    11: 2.201,
    12: 2.179,
    13: 2.160,
    14: 2.145,
    15: 2.131,
    16: 2.120,
    17: 2.110,
    18: 2.101,
    19: 2.093,
    20: 2.086,
    21: 2.080,
    22: 2.074,
    23: 2.069,
    24: 2.064,
    25: 2.060,
    26: 2.056,
    27: 2.052,
    28: 2.048,
    29: 2.045,
    30: 2.042,
    40: 2.021,
    50: 2.009,
    60: 2.000,
    80: 1.990,
    100: 1.984,
    120: 1.980,
}
Z_975 = 1.960


def t_critical(degrees_of_freedom: int) -> float:
    """Two-sided 95 % critical value of Student's t."""
    if degrees_of_freedom < 1:
        raise ValueError("a t interval needs at least one degree of freedom")
    if degrees_of_freedom > max(T_975):
        return Z_975
    listed = max(df for df in T_975 if df <= degrees_of_freedom)
    return T_975[listed]


@dataclass(frozen=True)
class MeanInterval:
    mean: float
    low: float
    high: float


def mean_interval(values: Sequence[float]) -> MeanInterval | None:
    """The mean with its 95 % confidence interval; None for fewer than two values."""
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    half = t_critical(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return MeanInterval(mean, mean - half, mean + half)


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count)."""
    return float(statistics.median(values)) if values else None


def mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
