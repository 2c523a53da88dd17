"""Medians, means and the t interval, against values computed by hand."""

from __future__ import annotations

import math

import pytest

from services.reporting.domain.statistics import (
    T_975,
    mean_interval,
    median,
    share,
    t_critical,
)


def t_cdf(x: float, df: int, steps: int = 4000) -> float:
    """Student's t distribution function by Simpson's rule on its density (test only)."""

    def density(t: float) -> float:
        scale = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
        return scale * math.pow(1 + t * t / df, -(df + 1) / 2)

    h = x / steps
    total = density(0) + density(x)
    total += sum((4 if i % 2 else 2) * density(i * h) for i in range(1, steps))
    return 0.5 + total * h / 3


@pytest.mark.parametrize("df", sorted(T_975))
def test_the_table_holds_the_97_5_percent_points_of_t(df: int) -> None:
    assert t_cdf(T_975[df], df) == pytest.approx(0.975, abs=1e-4)


def test_between_listed_degrees_of_freedom_the_wider_value_is_used() -> None:
    assert t_critical(4) == 2.776
    assert t_critical(35) == T_975[30]  # t(35) is 2.030: the interval is a little wider
    assert t_critical(120) == 1.980
    assert t_critical(500) == 1.960
    with pytest.raises(ValueError):
        t_critical(0)


def test_mean_interval_by_hand() -> None:
    # 1..5: mean 3, s = √2.5 = 1.5811, s/√5 = 0.7071, t(4) = 2.776, half-width 1.9629.
    interval = mean_interval([1, 2, 3, 4, 5])
    assert interval is not None
    assert interval.mean == 3
    assert interval.low == pytest.approx(1.0371, abs=1e-4)
    assert interval.high == pytest.approx(4.9629, abs=1e-4)
    # All alike: no spread, the interval is the mean itself.
    same = mean_interval([0.5] * 6)
    assert same is not None and (same.low, same.high) == (0.5, 0.5)
    assert mean_interval([1.0]) is None


def test_median_and_share() -> None:
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    assert median([]) is None
    assert share(1, 4) == 0.25
    assert share(0, 0) is None
