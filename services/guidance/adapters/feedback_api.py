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
from chassis.commands import command_context, expected_version
from chassis.http_auth import require_role
from chassis.service import runtime_of
from chassis.streams import EventStreams
from services.guidance.application.feedback_handlers import FeedbackHandlers
from services.guidance.domain.guidance_record import MAX_FEEDBACK_LENGTH

router = APIRouter(prefix="/pathways/{pathway_id}", tags=["feedback"])
Staff = Annotated[Principal, Depends(require_role("counselor", "admin"))]
# The path's client and its counselors; a manager sees only aggregates (403 here).
ClientOrStaff = Annotated[Principal, Depends(require_role("client", "counselor", "admin"))]


FEEDBACK_TEXT = CleanText(
    MAX_FEEDBACK_LENGTH, label="guidance.field.feedback", hard_limit=MAX_FEEDBACK_LENGTH * 2
)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

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


def handlers(request: Request) -> FeedbackHandlers:
    runtime = runtime_of(request)
    return FeedbackHandlers(EventStreams(runtime.require_store()), runtime.require_pool())


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
) -> FeedbackCreated:
    context = command_context(request, principal, scope=f"feedback:{pathway_id}:{answer_id}")
    given = await handlers(request).give(
        pathway_id,
        answer_id,
        body.text,
        principal,
        context,
        helsinki_now(),
        expected_version(request),
    )
    if given.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return FeedbackCreated(feedback_id=given.feedback_id)


@router.get("/feedback", summary="The feedback on the path's answers, oldest first")
async def feedback(pathway_id: UUID, request: Request, principal: ClientOrStaff) -> FeedbackList:
    found = await handlers(request).feedback(pathway_id, principal)
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
