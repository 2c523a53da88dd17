"""The group space (decision 0031): one place and one time, periods fixed."""

from __future__ import annotations

from datetime import date

import pytest

from services.reporting.adapters.figures_query import Filters
from services.reporting.adapters.filter_params import filters_of
from services.reporting.domain.groups import (
    GroupRefused,
    Period,
    parse_period,
    period_between,
    periods_covering,
)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
    ],
)
def test_a_period_is_a_whole_year_quarter_or_month(text: str, first: date, last: date) -> None:
    period = parse_period(text)
    assert (period.first, period.last, period.label) == (first, last, text)
    assert period_between(first, last) == period


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "26", "2026-1", "2026-H1", ""])
def test_anything_else_is_refused_by_name(text: str) -> None:
    with pytest.raises(GroupRefused) as refused:
        parse_period(text)
    assert refused.value.code == "reporting.period_unknown"


@pytest.mark.parametrize(
    ("first", "last", "code"),
    [
        (date(2026, 1, 1), date(2026, 6, 30), "reporting.period_fixed"),  # half a year
        (date(2026, 1, 2), date(2026, 1, 31), "reporting.period_fixed"),  # a day short
        (date(2026, 1, 1), None, "reporting.period_fixed"),
        (date(2026, 2, 1), date(2026, 1, 31), "reporting.period_reversed"),
    ],
)
def test_days_must_be_a_fixed_period(first: date, last: date | None, code: str) -> None:
    with pytest.raises(GroupRefused) as refused:
        period_between(first, last)
    assert refused.value.code == code


def test_one_place_and_one_time() -> None:
    quarter = Period.quarter(2026, 2)
    assert filters_of("061", None, None, None, None, "2026-Q2") == Filters(
        "061", None, None, quarter.first, quarter.last
    )
    assert filters_of(None, "Työpaja", "2026-kevat", None, None, None) == Filters(
        None, "Työpaja", "2026-kevat"
    )
    refusals = {
        "reporting.one_place": ("061", "Työpaja", None, None, None, None),
        "reporting.one_time": (None, None, "2026-kevat", None, None, "2026"),
        "reporting.period_twice": (None, None, None, date(2026, 1, 1), None, "2026"),
    }
    for code, arguments in refusals.items():
        with pytest.raises(GroupRefused) as refused:
            filters_of(*arguments)
        assert refused.value.code == code


def test_the_dashboard_offers_the_years_quarters_and_months_that_have_paths() -> None:
    offered = periods_covering([date(2026, 1, 9), date(2026, 2, 1), date(2025, 11, 30)])
    assert [p.label for p in offered] == [
        "2026",
        "2026-Q1",
        "2026-02",
        "2026-01",
        "2025",
        "2025-Q4",
        "2025-11",
    ]
    assert [p.kind for p in offered[:3]] == ["year", "quarter", "month"]
    assert offered[1].quarter_number == 1
