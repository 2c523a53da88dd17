"""Reporting's HTTP API: headline figures for managers, small groups hidden."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from chassis.auth import Principal
from chassis.http_auth import require_role
from chassis.service import runtime_of
from services.reporting.domain.suppression import Figure, shown

router = APIRouter(tags=["figures"])
Manager = Annotated[Principal, Depends(require_role("manager", "admin"))]


class Figures(BaseModel):
    paths_opened: Figure
    clients_answered: Figure
    answers: Figure
    direction_work: Figure
    direction_education: Figure


@router.get("/figures", summary="Headline figures of the caller's wellbeing area")
async def figures(
    request: Request,
    principal: Manager,
    municipality: Annotated[str | None, Query(max_length=100)] = None,
) -> Figures:
    row = (
        await runtime_of(request)
        .require_pool()
        .fetchrow(
            """
        SELECT count(*) FILTER (WHERE opened_on IS NOT NULL) AS opened,
               count(*) FILTER (WHERE answers > 0) AS answered_clients,
               coalesce(sum(answers), 0) AS answers,
               count(*) FILTER (WHERE direction = 'work') AS work,
               count(*) FILTER (WHERE direction = 'education') AS education
        FROM report_paths
        WHERE tenant = $1 AND ($2::text IS NULL OR municipality = $2)
        """,
            principal.tenant,
            municipality,
        )
    )
    assert row is not None
    return Figures(
        paths_opened=shown(row["opened"]),
        clients_answered=shown(row["answered_clients"]),
        answers=shown(row["answers"], people=row["answered_clients"]),
        direction_work=shown(row["work"]),
        direction_education=shown(row["education"]),
    )
