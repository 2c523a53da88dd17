"""The cell-key method's parts (decision 0031): the perturbation table keeps its promises, the
same group always gets the same noise, and a difference of two groups is not exact."""

from __future__ import annotations

import math
import random
from collections import Counter
from fractions import Fraction
from uuid import UUID

import pytest

from services.reporting.domain.cell_key import (
    GENERAL_ROW,
    KEY_SPACE,
    MAX_DEVIATION,
    TYPICAL_DEVIATION,
    cell_key,
    noise_row,
    perturbed_count,
    perturbed_sum,
    record_key,
)

SECRET = b"test secret of reporting, 32 bytes!!"


@pytest.mark.parametrize("count", range(0, 12))
def test_every_row_has_mean_zero_and_keeps_the_stated_bounds(count: int) -> None:
    row = noise_row(count)
    assert row.mean() == 0
    assert 0 <= row.variance() <= GENERAL_ROW.variance() < 2
    assert all(abs(value) <= MAX_DEVIATION for value in row.probabilities)
    assert all(count + value >= 0 for value in row.probabilities)
    # What the page states: nineteen counts in twenty move by at most ±2.
    typical = sum(p for v, p in row.probabilities.items() if abs(v) <= TYPICAL_DEVIATION)
    assert typical >= Fraction(95, 100)


@pytest.mark.parametrize("count", [1, 2, 7])
def test_the_key_space_is_shared_by_the_rows_probabilities(count: int) -> None:
    """Keys in the middle of equal slices (as many as the row's common denominator) land on
    each value exactly in proportion to its probability."""
    steps = math.lcm(*(p.denominator for p in noise_row(count).probabilities.values()))
    middles = ((2 * i + 1) * KEY_SPACE // (2 * steps) for i in range(steps))
    picked = Counter(noise_row(count).pick(key) for key in middles)
    assert {v: Fraction(n, steps) for v, n in picked.items()} == dict(
        noise_row(count).probabilities
    )


def test_nobody_stays_nobody_and_one_or_two_people_may_show_as_nobody() -> None:
    keys = range(0, KEY_SPACE, KEY_SPACE // 997)
    assert {perturbed_count(0, key) for key in keys} == {0}
    assert 0 in {perturbed_count(1, key) for key in keys}
    assert 0 in {perturbed_count(2, key) for key in keys}
    assert min(perturbed_count(6, key) for key in keys) == 6 - MAX_DEVIATION


def test_a_record_key_is_fixed_and_secret() -> None:
    path = UUID("01a241e7-15c9-78ad-b275-048c67364825")
    assert record_key(SECRET, "kanta-hame", path) == record_key(SECRET, "kanta-hame", path)
    assert record_key(SECRET, "kanta-hame", path) != record_key(b"other", "kanta-hame", path)
    assert record_key(SECRET, "kanta-hame", path) != record_key(SECRET, "pirkanmaa", path)
    assert 0 <= record_key(SECRET, "kanta-hame", path) < KEY_SPACE


def test_the_same_paths_asked_for_another_way_get_the_same_noise() -> None:
    keys = [record_key(SECRET, "t", UUID(int=n)) for n in range(40)]
    shuffled = random.Random(1).sample(keys, len(keys))
    assert cell_key(keys) == cell_key(shuffled)
    assert perturbed_count(40, cell_key(keys)) == perturbed_count(40, cell_key(shuffled))


def test_two_groups_one_person_apart_do_not_give_that_person_exactly() -> None:
    """Over many groups that differ by one path, the published difference is 1 in only about
    a third of them (the chance that two independent noises are equal), and it ranges over
    −3 … 5: nobody can tell which differences are the exact ones."""
    rng = random.Random(2026)
    differences: Counter[int] = Counter()
    for _ in range(2000):
        keys = [record_key(SECRET, "t", UUID(int=rng.getrandbits(128))) for _n in range(12)]
        bigger = perturbed_count(12, cell_key(keys))
        smaller = perturbed_count(11, cell_key(keys[:-1]))
        differences[bigger - smaller] += 1
    exact = differences[1] / sum(differences.values())
    assert 0.2 < exact < 0.4, differences
    assert min(differences) <= -2 and max(differences) >= 4, differences


def test_a_sum_moves_by_at_most_half_its_largest_value() -> None:
    moved = {perturbed_sum(100.0, 30.0, key) - 100.0 for key in range(0, KEY_SPACE, 2**24)}
    assert max(moved) == pytest.approx(15.0) and min(moved) == pytest.approx(-15.0)
    assert perturbed_sum(0.0, 0.0, 12345) == 0.0


@pytest.mark.parametrize("count", [0, 1, 2, 9])
def test_the_key_of_nobody_moves_nothing(count: int) -> None:
    """Cell key 0 (an empty cell, or hand-made facts whose record keys are 0) adds no noise."""
    assert perturbed_count(count, 0) == count
    assert perturbed_sum(float(count), 3.0, 0) == float(count)


def test_a_sum_is_the_same_in_any_order_of_its_paths() -> None:
    """A rebuild reads the rows in another order: the published mean must not move."""
    from services.reporting.domain.facts import PathFacts
    from services.reporting.domain.published import Magnitude

    rng = random.Random(5)
    values = [(PathFacts(pathway_id=UUID(int=n)), rng.random() * 3) for n in range(200)]
    orders = [Magnitude.of(rng.sample(values, len(values))).total for _ in range(20)]
    assert len(set(orders)) == 1
