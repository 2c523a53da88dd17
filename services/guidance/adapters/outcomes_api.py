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
from chassis.commands import command_context, expected_version
from chassis.http_auth import require_role
from chassis.service import runtime_of
from chassis.streams import EventStreams
from services.guidance.application.outcome_handlers import OutcomeHandlers
from services.guidance.domain.guidance_record import RecordedOutcome
from services.guidance.domain.outcomes import FollowUp, OutcomeKind

router = APIRouter(prefix="/pathways/{pathway_id}", tags=["outcomes"])
Staff = Annotated[Principal, Depends(require_role("counselor", "admin"))]


class RecordOutcomeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

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


def handlers(request: Request) -> OutcomeHandlers:
    runtime = runtime_of(request)
    return OutcomeHandlers(EventStreams(runtime.require_store()), runtime.require_pool())


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
) -> OutcomeView:
    context = command_context(request, principal, scope=f"outcome:{pathway_id}:{body.follow_up}")
    recorded = await handlers(request).record(
        pathway_id,
        body.follow_up,
        body.outcome,
        body.outcome_date,
        principal,
        context,
        helsinki_now(),
        helsinki_today(),
        expected_version(request),
    )
    if recorded.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return view(recorded.outcome)


@router.get("/outcomes", summary="The path's recorded outcomes (its counselors)")
async def outcomes(
    pathway_id: UUID, request: Request, response: Response, principal: Staff
) -> OutcomeList:
    found = await handlers(request).outcomes(pathway_id, principal)
    response.headers["ETag"] = f'"{found.version}"'
    return OutcomeList(items=[view(outcome) for outcome in found.outcomes])
