"""Guidance's HTTP API: the counselor's caseload."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from chassis.auth import Principal
from chassis.http_auth import require_role
from chassis.service import runtime_of
from services.guidance.domain.caseload import current_week

router = APIRouter(tags=["caseload"])
Staff = Annotated[Principal, Depends(require_role("counselor", "admin"))]


class CaseloadRow(BaseModel):
    pathway_id: UUID
    client_ref: str | None
    municipality: str | None
    cohort: str | None
    start_date: date | None
    current_week: int
    answers: int
    help_requests: int
    direction: str | None
    last_activity_at: datetime | None


@router.get("/caseload", summary="The signed-in counselor's clients")
async def caseload(request: Request, principal: Staff) -> list[CaseloadRow]:
    pool = runtime_of(request).require_pool()
    # A counselor sees the paths assigned to them; an admin sees the tenant's paths.
    rows = await pool.fetch(
        "SELECT * FROM caseload WHERE tenant = $1 AND ($2 OR $3 = ANY(counselor_ids))"
        " AND start_date IS NOT NULL ORDER BY start_date, pathway_id",
        principal.tenant,
        principal.role == "admin",
        principal.subject,
    )
    return [
        CaseloadRow(
            pathway_id=row["pathway_id"],
            client_ref=row["client_ref"],
            municipality=row["municipality"],
            cohort=row["cohort"],
            start_date=row["start_date"],
            current_week=current_week(row["opened_week"]),
            answers=row["answers"],
            help_requests=row["help_requests"],
            direction=row["direction"],
            last_activity_at=row["last_activity_at"],
        )
        for row in rows
    ]
