"""The cell-key method (decision 0031): the same group of paths always gets the same noise.

Every path has a record key, a keyed hash of its tenant and id (`record_key`). A cell's key is
the sum of its paths' record keys modulo `KEY_SPACE` (`cell_key`; in SQL `sum(record_key) %
KEY_SPACE`). A count's noise is read from the perturbation table at (the count, the cell's key):
the key, uniform over the key space, picks a value by the row's cumulative probabilities. Two
requests for the same set of paths get the same published count; two sets that differ by one
person get unrelated noise, so their difference says nothing exact about that person.

Pure: integers in, integers out. The adapters add up the keys where the rows are.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from uuid import UUID

# Record and cell keys are integers in [0, KEY_SPACE): sums stay exact (no float drift), and a
# PostgreSQL bigint holds any sum of a county's keys.
KEY_SPACE = 2**32

# Nineteen figures in twenty move by at most TYPICAL_DEVIATION, what the page states; none by
# more than MAX_DEVIATION. The rare larger moves are what keep an attacker who combines many
# differences from narrowing a small group down (decision 0031: with a hard ±2, intersecting
# enough differences pinned some groups of 1–4 exactly).
TYPICAL_DEVIATION = 2
MAX_DEVIATION = 5


@dataclass(frozen=True)
class NoiseRow:
    """The distribution of the noise added to one true count: value → probability."""

    probabilities: Mapping[int, Fraction]

    def __post_init__(self) -> None:
        assert sum(self.probabilities.values()) == 1, "a row's probabilities add up to one"

    def mean(self) -> Fraction:
        return sum((v * p for v, p in self.probabilities.items()), Fraction(0))

    def variance(self) -> Fraction:
        second = sum((v * v * p for v, p in self.probabilities.items()), Fraction(0))
        return second - self.mean() ** 2

    def pick(self, key: int) -> int:
        """The noise at a cell key: the row's values laid over the key space, each over its
        share, smallest moves first (0, −1, 1, −2, 2): the key of an empty cell, 0, moves
        nothing, and so does a path whose record key is 0 (a test's hand-made facts)."""
        position = Fraction(key % KEY_SPACE, KEY_SPACE)
        reached = Fraction(0)
        for value in sorted(self.probabilities, key=lambda v: (abs(v), v)):
            reached += self.probabilities[value]
            if position < reached:
                return value
        return max(self.probabilities)  # unreachable: the shares add up to the whole space


def _symmetric(*by_distance: Fraction) -> NoiseRow:
    """A row from the probabilities of 0, ±1, ±2, … (each side gets the given one)."""
    probabilities = {0: by_distance[0]}
    for distance, probability in enumerate(by_distance[1:], start=1):
        probabilities[distance] = probabilities[-distance] = probability
    return NoiseRow(probabilities)


GENERAL_ROW = _symmetric(
    Fraction(30, 100),
    Fraction(28, 100),
    Fraction(5, 100),
    Fraction(1, 100),
    Fraction(6, 1000),
    Fraction(4, 1000),
)


def _truncated(count: int) -> NoiseRow:
    """The general row cut to ±count and scaled back to one: never below zero, still
    symmetric, so still mean zero."""
    kept = {v: p for v, p in GENERAL_ROW.probabilities.items() if abs(v) <= count}
    total = sum(kept.values())
    return NoiseRow({v: p / total for v, p in kept.items()})


# A count of 1–4 cannot move down by more than itself: its row is the general one cut there.
PERTURBATION_TABLE: Mapping[int, NoiseRow] = {
    0: NoiseRow({0: Fraction(1)}),
    **{count: _truncated(count) for count in range(1, MAX_DEVIATION)},
}


def noise_row(count: int) -> NoiseRow:
    assert count >= 0, "a count of paths"
    return PERTURBATION_TABLE.get(count, GENERAL_ROW)


def record_key(secret: bytes, tenant: str, pathway_id: UUID) -> int:
    """A path's fixed key: the same on every rebuild, unknowable without reporting's secret."""
    digest = hmac.new(secret, f"{tenant}:{pathway_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % KEY_SPACE


def cell_key(record_keys: Iterable[int]) -> int:
    return sum(record_keys) % KEY_SPACE


def perturbed_count(count: int, key: int) -> int:
    """The count as published: the true one plus its cell's noise."""
    return count + noise_row(count).pick(key)


# The magnitude's noise is read at another place of the key space than the count's (the key
# times an odd constant, a bijection that keeps 0 at 0), so a cell's count noise does not tell
# its sum's.
_MAGNITUDE_SPREAD = 0x9E3779B1
# At most this share of the cell's largest contribution (the ABS rule for magnitudes): enough
# that one person's value cannot be recovered exactly from two sums that differ by them.
MAGNITUDE_SHARE = Fraction(1, 2)


def perturbed_sum(total: float, largest: float, key: int) -> float:
    """A sum of the cell's values (days, meetings) as published: moved by up to
    `MAGNITUDE_SHARE` of its largest value, in steps set by the same perturbation table."""
    step = GENERAL_ROW.pick(key * _MAGNITUDE_SPREAD)  # −5 … 5, mostly −2 … 2
    return total + float(MAGNITUDE_SHARE) * largest * step / MAX_DEVIATION
