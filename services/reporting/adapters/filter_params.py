"""Query parameters that choose a group of paths: `municipality`, `unit`, `cohort`, `from`, `to`,
bare for one group, or prefixed (`a.cohort`, `b.cohort`) for each side of a comparison.

Built per prefix, so this module evaluates its annotations at definition (no
`from __future__ import annotations`): FastAPI reads the aliases from them.
"""

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import Query

from chassis.errors import DomainError
from services.reporting.adapters.figures_query import Filters

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
            Query(alias=f"{p}from", description=f"Paths opened on or after this day{side}."),
        ] = None,
        opened_to: Annotated[
            date | None,
            Query(alias=f"{p}to", description=f"Paths opened on or before this day{side}."),
        ] = None,
    ) -> Filters:
        if opened_from is not None and opened_to is not None and opened_from > opened_to:
            raise DomainError("reporting.period_reversed")
        return Filters(municipality, unit, cohort, opened_from, opened_to)

    return dependency
