"""Which groups of paths the figures may be asked for (decision 0031): one place crossed with
one time.

A place is the whole tenant, one municipality or one unit; a time is everything, one calendar
year, quarter or month of opening, or one cohort. Periods are fixed and never overlap within a
level, so two groups differ by whole months, quarters or places, never by a day or by one
filter value stacked on another: the differences an attacker can form stay few, and each
carries the noise of two cells (decision 0031 measured why that matters).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Period:
    """A calendar year, quarter or month, by the day paths were opened (both days inclusive)."""

    first: date
    last: date
    label: str  # "2026", "2026-Q1" or "2026-03"

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31), f"{year}")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first_month = 3 * (quarter - 1) + 1
        return cls(
            date(year, first_month, 1), _month_end(year, first_month + 2), f"{year}-Q{quarter}"
        )

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), _month_end(year, month), f"{year}-{month:02d}")

    @property
    def kind(self) -> str:
        """`year`, `quarter` or `month`."""
        if "Q" in self.label:
            return "quarter"
        return "year" if len(self.label) == 4 else "month"

    @property
    def quarter_number(self) -> int:
        return (self.first.month - 1) // 3 + 1


def periods_covering(months: Iterable[date]) -> list[Period]:
    """The years, quarters and months in which paths were opened: years newest first, each
    followed by its quarters and months (the dashboard's choices)."""
    firsts = sorted({date(m.year, m.month, 1) for m in months}, reverse=True)
    periods: list[Period] = []
    for year in sorted({m.year for m in firsts}, reverse=True):
        periods.append(Period.year(year))
        of_year = [m for m in firsts if m.year == year]
        quarters = sorted({(m.month - 1) // 3 + 1 for m in of_year}, reverse=True)
        periods += [Period.quarter(year, q) for q in quarters]
        periods += [Period.month(year, m.month) for m in of_year]
    return periods


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


class GroupRefused(ValueError):
    """A group outside the space; `code` is the message key that says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_period(text: str) -> Period:
    """`2026`, `2026-Q1` or `2026-03`."""
    if matched := _YEAR.fullmatch(text):
        return Period.year(int(matched.group(1)))
    if matched := _QUARTER.fullmatch(text):
        return Period.quarter(int(matched.group(1)), int(matched.group(2)))
    if matched := _MONTH.fullmatch(text):
        return Period.month(int(matched.group(1)), int(matched.group(2)))
    raise GroupRefused("reporting.period_unknown")


def period_between(first: date | None, last: date | None) -> Period | None:
    """The fixed period that the days `first`–`last` are exactly; None for neither day."""
    if first is None and last is None:
        return None
    if first is None or last is None:
        raise GroupRefused("reporting.period_fixed")
    if first > last:
        raise GroupRefused("reporting.period_reversed")
    candidates = [
        Period.month(first.year, first.month),
        Period.quarter(first.year, (first.month - 1) // 3 + 1),
        Period.year(first.year),
    ]
    for period in candidates:
        if (period.first, period.last) == (first, last):
            return period
    raise GroupRefused("reporting.period_fixed")


@dataclass(frozen=True)
class Group:
    """One place and one time; None in a field: the whole tenant, or all time."""

    municipality: str | None = None
    unit: str | None = None
    cohort: str | None = None
    period: Period | None = None


def group_of(
    municipality: str | None,
    unit: str | None,
    cohort: str | None,
    period: Period | None,
) -> Group:
    """The group these filters name, or GroupRefused when they name more than one place or
    more than one time."""
    if municipality and unit:
        raise GroupRefused("reporting.one_place")
    if cohort and period:
        raise GroupRefused("reporting.one_time")
    return Group(municipality or None, unit or None, cohort or None, period)
