"""Figures as published under the cell-key method (decision 0031).

Every count of paths is perturbed by its cell's key (`Cell`), every sum of values by the same
key in proportion to its largest value (`Magnitude`); shares and means are made of those. What
is not shown is decided on the published values only (a base under `MIN_BASE`), so hiding tells
nothing that the published figures do not already tell.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from services.reporting.domain.cell_key import (
    GENERAL_ROW,
    MAX_DEVIATION,
    TYPICAL_DEVIATION,
    cell_key,
    perturbed_count,
    perturbed_sum,
)
from services.reporting.domain.facts import PathFacts

# A share or mean on fewer published paths than this is not shown: too uncertain to act on.
MIN_BASE = 5
# A median is one person's value (or the mean of two): shown for larger groups only.
MEDIAN_BASE = 20


@dataclass(frozen=True)
class Figure:
    """A number as published: its value, or None with `suppressed` when its base is too small.

    `value` None with `suppressed` false means there is nothing to compute (nobody yet)."""

    value: int | float | None
    suppressed: bool


HIDDEN = Figure(None, True)
NOTHING = Figure(None, False)


@dataclass(frozen=True)
class Noise:
    """What the perturbation does to a count, stated beside the figures: `typical_share` of
    the counts move by at most `typical_deviation`, none by more than `max_deviation`."""

    typical_deviation: int = TYPICAL_DEVIATION
    typical_share: float = float(
        sum(p for v, p in GENERAL_ROW.probabilities.items() if abs(v) <= TYPICAL_DEVIATION)
    )
    max_deviation: int = MAX_DEVIATION
    variance: float = round(float(GENERAL_ROW.variance()), 3)


@dataclass(frozen=True)
class Cell:
    """A set of paths as a count: how many, and the cell key of their record keys."""

    paths: int
    key: int

    @classmethod
    def of(cls, paths: Iterable[PathFacts]) -> Cell:
        chosen = list(paths)
        return cls(len(chosen), cell_key(p.record_key for p in chosen))

    @property
    def published(self) -> int:
        return perturbed_count(self.paths, self.key)

    def figure(self) -> Figure:
        return Figure(self.published, False)


@dataclass(frozen=True)
class Magnitude:
    """A sum of one value per path (days, meetings, answers) and the cell it comes from."""

    total: float
    largest: float
    cell: Cell

    @classmethod
    def of(cls, values: Iterable[tuple[PathFacts, float]]) -> Magnitude:
        pairs = list(values)
        numbers = [abs(value) for _, value in pairs]
        return cls(
            # fsum: exact, so the same paths give the same sum in any order (a rebuild
            # returns the rows in another order; a plain sum differed in the last bits and a
            # mean rounded the other way).
            math.fsum(value for _, value in pairs),
            max(numbers, default=0.0),
            Cell.of(path for path, _ in pairs),
        )

    @property
    def published(self) -> float:
        return perturbed_sum(self.total, self.largest, self.cell.key)


def share(part: float, whole: float, base: int, digits: int = 3) -> Figure:
    """`part` of `whole`, both published; not shown on a published base under MIN_BASE. Noise
    can take a part above its whole: the share then stops at one."""
    if base == 0 or whole <= 0:
        return NOTHING
    if base < MIN_BASE:
        return HIDDEN
    return Figure(round(min(1.0, max(0.0, part / whole)), digits), False)


def mean(magnitude: Magnitude, digits: int) -> Figure:
    """The published sum over the published count of the paths it comes from."""
    count = magnitude.cell.published
    if count == 0:
        return NOTHING
    if count < MIN_BASE:
        return HIDDEN
    return Figure(round(magnitude.published / count, digits), False)
