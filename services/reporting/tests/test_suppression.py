from __future__ import annotations

import pytest

from services.reporting.domain.suppression import MIN_GROUP, shown


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
