"""Query parameters that choose a group of paths: `municipality` or `unit`, and `cohort` or a
fixed `period` (`2026`, `2026-Q1`, `2026-03`; or the same as the days `from` and `to`), bare for
one group, or prefixed (`a.cohort`, `b.cohort`) for each side of a comparison. Anything outside
that space (decision 0031) is a 422 that says what to choose instead.

Built per prefix, so this module evaluates its annotations at definition (no
`from __future__ import annotations`): FastAPI reads the aliases from them.
"""

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import Query

from chassis.errors import DomainError
from services.reporting.adapters.figures_query import Filters
from services.reporting.domain.groups import GroupRefused, group_of, parse_period, period_between

TEXT = 100


def filter_params(prefix: str = "") -> Callable[..., Filters]:
    p = f"{prefix}." if prefix else ""
    side = f" (side {prefix})" if prefix else ""

    def dependency(
        municipality: Annotated[
            str | None,
            Query(alias=f"{p}municipality", max_length=TEXT, description=f"Municipality{side}."),
        ] = None,
        unit: Annotated[
            str | None, Query(alias=f"{p}unit", max_length=TEXT, description=f"Unit{side}.")
        ] = None,
        cohort: Annotated[
            str | None, Query(alias=f"{p}cohort", max_length=TEXT, description=f"Cohort{side}.")
        ] = None,
        opened_from: Annotated[
            date | None,
            Query(
                alias=f"{p}from",
                description=f"Paths opened on or after this day{side}; with `to`, the first"
                " and last day of a calendar month, quarter or year.",
            ),
        ] = None,
        opened_to: Annotated[
            date | None,
            Query(alias=f"{p}to", description=f"Paths opened on or before this day{side}."),
        ] = None,
        period: Annotated[
            str | None,
            Query(
                alias=f"{p}period",
                max_length=7,
                description=f"A calendar year, quarter or month of opening{side}:"
                " 2026, 2026-Q1 or 2026-03 (instead of from and to).",
            ),
        ] = None,
    ) -> Filters:
        try:
            return filters_of(municipality, unit, cohort, opened_from, opened_to, period)
        except GroupRefused as refused:
            raise DomainError(refused.code) from None

    return dependency


def filters_of(
    municipality: str | None,
    unit: str | None,
    cohort: str | None,
    opened_from: date | None,
    opened_to: date | None,
    period: str | None,
) -> Filters:
    """The query of a group in the space, or GroupRefused (the API's and the dashboard's)."""
    if period and (opened_from or opened_to):
        raise GroupRefused("reporting.period_twice")
    fixed = parse_period(period) if period else period_between(opened_from, opened_to)
    group = group_of(municipality, unit, cohort, fixed)
    return Filters(
        group.municipality,
        group.unit,
        group.cohort,
        None if group.period is None else group.period.first,
        None if group.period is None else group.period.last,
    )
