"""Reporting's HTTP API: the figures of the caller's wellbeing area, small groups hidden.

Managers and admins of a tenant read its figures; counselors and clients are refused (403).
Every response says how fresh it is (`as_of`). One endpoint gives every figure of a group, so
that figures hidden together (secondary suppression) are always decided together.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from chassis.auth import Principal
from chassis.http_auth import require_role
from chassis.service import runtime_of
from contracts.public_asyncapi import public_asyncapi
from services.reporting.adapters.figures_query import Filters, Reading, read_figures
from services.reporting.adapters.filter_params import filter_params
from services.reporting.bootstrap import Reporting
from services.reporting.domain.figure_set import FigureSet
from services.reporting.domain.groups import period_between

router = APIRouter(tags=["figures"])
Manager = Annotated[Principal, Depends(require_role("manager", "admin"))]
AS_OF = (
    "When the latest event included in the figures happened (null: none yet); events after it"
    " are still on their way to reporting."
)


class FilterEcho(BaseModel):
    """The group the figures are about (always within the caller's tenant)."""

    model_config = ConfigDict(populate_by_name=True)

    municipality: str | None
    unit: str | None
    cohort: str | None
    opened_from: date | None = Field(alias="from")
    opened_to: date | None = Field(alias="to")
    period: str | None = Field(
        default=None, description="The fixed period `from`–`to` is: 2026, 2026-Q1 or 2026-03."
    )


class GroupFigures(FigureSet):
    filters: FilterEcho


class Figures(GroupFigures):
    as_of: datetime | None = Field(description=AS_OF)


class Comparison(BaseModel):
    as_of: datetime | None = Field(description=AS_OF)
    a: GroupFigures
    b: GroupFigures


async def read_groups(request: Request, tenant: str, groups: list[Filters]) -> Reading:
    """The figures of each group, from one snapshot (the API's and the dashboard's)."""
    runtime = runtime_of(request)
    parts = runtime.parts_as(Reporting)
    return await read_figures(
        runtime.require_pool(), tenant, groups, parts.instruments, parts.record_keys, parts.figures
    )


def _group(figures: FigureSet, filters: Filters) -> GroupFigures:
    echo = FilterEcho(
        municipality=filters.municipality,
        unit=filters.unit,
        cohort=filters.cohort,
        opened_from=filters.opened_from,
        opened_to=filters.opened_to,
        period=fixed.label
        if (fixed := period_between(filters.opened_from, filters.opened_to))
        else None,
    )
    return GroupFigures(**dict(figures), filters=echo)


@router.get("/figures", summary="Every figure of a group of the caller's paths")
async def figures(
    request: Request,
    principal: Manager,
    filters: Annotated[Filters, Depends(filter_params())],
) -> Figures:
    reading = await read_groups(request, principal.tenant, [filters])
    return Figures(**dict(_group(reading.groups[0], filters)), as_of=reading.as_of)


@router.get(
    "/figures/compare",
    summary="Two groups side by side, e.g. ?a.cohort=2026-kevat&b.cohort=2026-syksy",
)
async def compare(
    request: Request,
    principal: Manager,
    a: Annotated[Filters, Depends(filter_params("a"))],
    b: Annotated[Filters, Depends(filter_params("b"))],
) -> Comparison:
    reading = await read_groups(request, principal.tenant, [a, b])
    return Comparison(
        as_of=reading.as_of, a=_group(reading.groups[0], a), b=_group(reading.groups[1], b)
    )


@router.get(
    "/asyncapi/public.json",
    summary="The AsyncAPI document of the public per-tenant topics (no sign-in needed)",
)
async def public_events_document() -> dict[str, Any]:
    return public_asyncapi()
