"""Guidance's outcome API: the counselor records what the client went on to, at the path's end
and at the 3- and 6-month follow-ups; the path's counselors read them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from chassis.auth import Principal
from chassis.clock import helsinki_now, helsinki_today
from chassis.commands import http_command
from chassis.http_auth import require_role
from services.guidance.bootstrap import Guidance, guidance
from services.guidance.domain.guidance_record import RecordedOutcome
from services.guidance.domain.outcomes import FollowUp, OutcomeKind

router = APIRouter(prefix="/pathways/{pathway_id}", tags=["outcomes"])
Parts = Annotated[Guidance, Depends(guidance)]
Staff = Annotated[Principal, Depends(require_role("counselor", "admin"))]


class RecordOutcomeRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "follow_up": "end",
                    "outcome": "studies",
                    "outcome_date": "2027-03-01",
                }
            ]
        },
    )

    follow_up: FollowUp = Field(description="At the path's end, or 3 or 6 months after it.")
    outcome: OutcomeKind
    outcome_date: date = Field(description="The day the outcome began.")


class OutcomeView(BaseModel):
    follow_up: FollowUp
    outcome: OutcomeKind
    outcome_date: date
    recorded_at: datetime


class OutcomeList(BaseModel):
    items: list[OutcomeView]


def view(outcome: RecordedOutcome) -> OutcomeView:
    return OutcomeView.model_validate(outcome, from_attributes=True)


@router.post(
    "/outcomes",
    status_code=status.HTTP_201_CREATED,
    summary="Record the outcome of a follow-up (the path's counselor)",
    responses={200: {"description": "A retry of an outcome already recorded."}},
)
async def record(
    pathway_id: UUID,
    body: RecordOutcomeRequest,
    request: Request,
    response: Response,
    principal: Staff,
    parts: Parts,
) -> OutcomeView:
    context = await http_command(request, principal, scope=f"outcome:{pathway_id}")
    recorded = await parts.outcomes.record(
        pathway_id,
        body.follow_up,
        body.outcome,
        body.outcome_date,
        principal,
        context,
        helsinki_now(),
        helsinki_today(),
    )
    if recorded.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return view(recorded.value)


@router.get("/outcomes", summary="The path's recorded outcomes (its counselors)")
async def outcomes(
    pathway_id: UUID, response: Response, principal: Staff, parts: Parts
) -> OutcomeList:
    found = await parts.queries.outcomes(pathway_id, principal)
    response.headers["ETag"] = f'"{found.version}"'
    return OutcomeList(items=[view(outcome) for outcome in found.outcomes])
