"""Small groups are hidden, and a hidden cell cannot be worked out from the ones shown."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from services.reporting.domain.suppression import (
    HIDDEN,
    MIN_GROUP,
    Disclosure,
    Figure,
    measure,
    sensitive,
    shown,
)


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_groups_under_five_are_hidden(count: int) -> None:
    figure = shown(count)
    assert figure.suppressed and figure.value is None


@pytest.mark.parametrize("count", [0, MIN_GROUP, 120])
def test_zero_and_groups_of_five_or_more_are_shown(count: int) -> None:
    assert shown(count).value == count


def test_a_sum_is_hidden_when_the_people_behind_it_are_few() -> None:
    assert shown(40, people=3).suppressed
    assert shown(40, people=5).value == 40


def test_a_measure_is_hidden_when_any_group_behind_it_is_small() -> None:
    assert measure(0.5, 10, 5, 5) == Figure(0.5, False)
    assert measure(0.5, 10, 7, 3) == HIDDEN
    assert measure(0.5, 10, hide=True) == HIDDEN


def split(total: int, **cells: int) -> tuple[Disclosure, set[str]]:
    d = Disclosure()
    d.count("total", total)
    for key, value in cells.items():
        d.count(key, value)
    d.partition("total", list(cells))
    return d, d.hidden()


def test_one_small_cell_takes_the_next_smallest_with_it() -> None:
    # 3 is hidden; shown alone, 20 − 10 − 7 would give it back, so 7 goes too: 20 − 10 = 10
    # tells only that the two hidden cells hold ten people together.
    _, hidden = split(20, a=3, b=10, c=7)
    assert hidden == {"a", "c"}


def test_two_small_cells_that_hold_five_together_cover_each_other() -> None:
    _, hidden = split(17, a=3, b=4, c=10)
    assert hidden == {"a", "b"}


def test_small_cells_under_five_together_take_another_and_a_zero_is_no_cover() -> None:
    # 3 + 1 = 4 people would still be a small group; the zero adds nobody, so 12 goes.
    _, hidden = split(16, a=3, b=0, c=1, d=12)
    assert hidden == {"a", "c", "d"}


def test_a_hidden_total_hides_its_cells() -> None:
    _, hidden = split(4, a=4, b=0)
    assert hidden == {"total", "a", "b"}


def test_a_split_without_small_cells_is_shown_whole() -> None:
    _, hidden = split(15, a=5, b=10, c=0)
    assert hidden == set()


def test_an_unpublished_cell_is_protected_too() -> None:
    # "Did not change" is never published, but total − changed would give it: 2 people.
    d = Disclosure()
    d.count("total", 17)
    d.count("changed", 15)
    d.count("unchanged", 2, published=False)
    d.partition("total", ["changed", "unchanged"])
    assert d.hidden() == {"changed", "unchanged"}
    # And an unpublished cell of 5+ covers a small published one.
    d.counts.update(changed=3, unchanged=14)
    assert d.hidden() == {"changed", "unchanged"}
    assert d.figure("total", d.hidden()) == Figure(17, False)


def funnel(*stages: int) -> set[str]:
    d = Disclosure()
    for number, value in enumerate(stages):
        d.count(f"s{number}", value)
    d.chain([f"s{number}" for number in range(len(stages))])
    return d.hidden()


def test_a_funnel_hides_a_step_whose_drop_is_a_small_group() -> None:
    # 20 → 17: three dropped, so 17 is hidden; 20 → 12 (eight) and 12 → 12 (none) are shown;
    # 3 is a small group itself.
    assert funnel(20, 17, 12, 12, 3) == {"s1", "s4"}
    assert funnel(10, 10, 5, 5, 0) == set()
    # 6 → 5 drops one; 6 → 5 again from the last shown step; 6 → 0 drops six.
    assert funnel(6, 6, 5, 5, 0) == {"s2", "s3"}


def test_a_step_hidden_by_the_funnel_hides_the_split_it_is_the_total_of() -> None:
    d = Disclosure()
    d.count("opened", 20)
    d.count("chose", 17)
    d.count("work", 10)
    d.count("education", 7)
    d.chain(["opened", "chose"])
    d.partition("chose", ["work", "education"])
    assert d.hidden() == {"chose", "work", "education"}


def test_a_cell_hidden_in_one_table_is_covered_in_every_table_it_is_in() -> None:
    # completed is a funnel step and a cell of ended = completed + discontinued. The split
    # hides completed (discontinued is 3); the funnel then may not show 12 → completed → 0.
    d = Disclosure()
    for key, value in dict(opened=20, ended=15, active=5, completed=12, discontinued=3).items():
        d.count(key, value)
    d.chain(["opened", "completed"])
    d.partition("opened", ["ended", "active"])
    d.partition("ended", ["completed", "discontinued"])
    hidden = d.hidden()
    assert hidden == {"completed", "discontinued"}
    assert d.figure("opened", hidden) == Figure(20, False)
    assert d.figure("completed", hidden) == HIDDEN


def test_no_small_group_can_be_derived_from_any_split_or_funnel() -> None:
    """Random splits and funnels: whatever is shown, total − shown never exposes a small
    hidden cell, and no drop between shown funnel steps is a small group."""
    rng = random.Random(20261130)
    for _ in range(2000):
        cells = {
            f"c{i}": rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 20]) for i in range(rng.randint(2, 6))
        }
        total = sum(cells.values())
        _, hidden = split(total, **cells)
        if "total" in hidden:
            assert hidden >= set(cells)
            continue
        out = [key for key in cells if key in hidden]
        if any(sensitive(cells[key]) for key in out):
            assert len(out) >= 2 and sum(cells[key] for key in out) >= MIN_GROUP, cells
        stages = sorted((rng.randint(0, 30) for _ in range(rng.randint(2, 6))), reverse=True)
        hidden_steps = funnel(*stages)
        shown_steps = [v for n, v in enumerate(stages) if f"s{n}" not in hidden_steps]
        assert not any(sensitive(v) for v in shown_steps)
        assert not any(sensitive(a - b) for a, b in pairwise(shown_steps))
