"""Guidance's meeting API: the counselor schedules a meeting and marks it held or missed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from chassis.auth import Principal
from chassis.clock import HELSINKI
from chassis.commands import command_context
from chassis.http_auth import require_role
from chassis.service import runtime_of
from chassis.streams import EventStreams
from services.guidance.application.handlers import GuidanceHandlers
from services.guidance.domain.guidance_record import MeetingMode

router = APIRouter(prefix="/pathways/{pathway_id}/meetings", tags=["meetings"])
Staff = Annotated[Principal, Depends(require_role("counselor", "admin"))]


class ScheduleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime
    mode: MeetingMode
    task_ids: list[str] = Field(default_factory=list, max_length=12)


class OutcomeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held: bool = Field(description="True when the meeting was held, false when missed.")


def handlers(request: Request) -> GuidanceHandlers:
    runtime = runtime_of(request)
    return GuidanceHandlers(EventStreams(runtime.require_store()), runtime.require_pool())


@router.put(
    "/{meeting_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Schedule (or reschedule) a guidance meeting",
)
async def schedule(
    pathway_id: UUID, meeting_id: UUID, body: ScheduleRequest, request: Request, principal: Staff
) -> None:
    context = command_context(request, principal, scope=f"meeting:{meeting_id}")
    await handlers(request).schedule(
        pathway_id, meeting_id, body.starts_at, body.mode, body.task_ids, principal, context
    )


@router.post(
    "/{meeting_id}/outcome",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Mark a scheduled meeting held or missed",
)
async def outcome(
    pathway_id: UUID, meeting_id: UUID, body: OutcomeRequest, request: Request, principal: Staff
) -> None:
    context = command_context(request, principal, scope=f"meeting-outcome:{meeting_id}")
    await handlers(request).held(
        pathway_id, meeting_id, body.held, datetime.now(HELSINKI), principal, context
    )
