"""Guidance's feedback API: the counselor writes feedback on an answer; the client (and the
path's counselors) read it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from chassis.auth import Principal
from chassis.clean_text import CleanText
from chassis.clock import helsinki_now
from chassis.commands import http_command
from chassis.http_auth import require_role
from services.guidance.bootstrap import Guidance, guidance
from services.guidance.domain.guidance_record import MAX_FEEDBACK_LENGTH

router = APIRouter(prefix="/pathways/{pathway_id}", tags=["feedback"])
Parts = Annotated[Guidance, Depends(guidance)]
Staff = Annotated[Principal, Depends(require_role("counselor", "admin"))]
# The path's client and its counselors; a manager sees only aggregates (403 here).
ClientOrStaff = Annotated[Principal, Depends(require_role("client", "counselor", "admin"))]


FEEDBACK_TEXT = CleanText(
    MAX_FEEDBACK_LENGTH, label="guidance.field.feedback", hard_limit=MAX_FEEDBACK_LENGTH * 2
)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"text": "Hyvin pohdittu! Kirjoita vielä, mikä sinua kiinnostaa."}]
        },
    )

    # Twice the limit gets through, so that a little too long is told in words with the limit.
    text: Annotated[str, FEEDBACK_TEXT] = Field(
        description=f"The feedback, 1–{MAX_FEEDBACK_LENGTH} characters."
    )


class FeedbackCreated(BaseModel):
    feedback_id: UUID


class FeedbackView(BaseModel):
    feedback_id: UUID
    answer_id: UUID
    text: str
    given_at: datetime


class FeedbackList(BaseModel):
    items: list[FeedbackView]


@router.post(
    "/answers/{answer_id}/feedback",
    status_code=status.HTTP_201_CREATED,
    summary="Give feedback on a client's answer",
    responses={200: {"description": "A retry of feedback already given."}},
)
async def give(
    pathway_id: UUID,
    answer_id: UUID,
    body: FeedbackRequest,
    request: Request,
    response: Response,
    principal: Staff,
    parts: Parts,
) -> FeedbackCreated:
    scope = f"feedback:{pathway_id}:{answer_id}"
    context = await http_command(request, principal, scope=scope)
    given = await parts.feedback.give(
        pathway_id, answer_id, body.text, principal, context, helsinki_now()
    )
    if given.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return FeedbackCreated(feedback_id=given.value)


@router.get("/feedback", summary="The feedback on the path's answers, oldest first")
async def feedback(pathway_id: UUID, principal: ClientOrStaff, parts: Parts) -> FeedbackList:
    found = await parts.queries.feedback(pathway_id, principal)
    return FeedbackList(
        items=[
            FeedbackView(
                feedback_id=item.feedback_id,
                answer_id=item.answer_id,
                text=item.body,
                given_at=item.given_at,
            )
            for item in found
        ]
    )
