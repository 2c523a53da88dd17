"""Guidance's message API: a path's thread between its client and its counselors
(decision 0041). Tasks' client pages call it with the client's own token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from chassis.auth import Principal
from chassis.clean_text import CleanText
from chassis.clock import helsinki_now
from chassis.commands import http_command
from chassis.http_auth import require_role
from services.guidance.bootstrap import Guidance, guidance
from services.guidance.domain.messages import MAX_MESSAGE_LENGTH

router = APIRouter(prefix="/pathways/{pathway_id}", tags=["messages"])
Parts = Annotated[Guidance, Depends(guidance)]
# The path's own client and its assigned counselors only: admins and managers get 403.
InThread = Annotated[Principal, Depends(require_role("client", "counselor"))]

MESSAGE_TEXT = CleanText(
    MAX_MESSAGE_LENGTH, label="guidance.field.message", hard_limit=MAX_MESSAGE_LENGTH * 2
)


class MessageRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "Mitä tarkoittaa työkokeilu?"}]},
    )

    # Twice the limit gets through, so that a little too long is told in words with the limit.
    text: Annotated[str, MESSAGE_TEXT] = Field(
        description=f"The message, 1–{MAX_MESSAGE_LENGTH} characters."
    )


class MessageCreated(BaseModel):
    entry_id: UUID


class MessageView(BaseModel):
    entry_id: UUID
    from_role: Literal["client", "counselor"]
    text: str
    written_at: datetime
    read: bool = Field(description="Whether the other side has read it.")


class ThreadView(BaseModel):
    items: list[MessageView]
    unread: int = Field(description="The other side's messages unread before this read.")


class UnreadView(BaseModel):
    unread: int = Field(description="The other side's messages the caller has not read.")


@router.post(
    "/messages",
    status_code=status.HTTP_201_CREATED,
    summary="Write to the path's thread (its client or one of its counselors)",
    responses={200: {"description": "A retry of a message already written."}},
)
async def write(
    pathway_id: UUID,
    body: MessageRequest,
    request: Request,
    response: Response,
    principal: InThread,
    parts: Parts,
) -> MessageCreated:
    context = await http_command(request, principal, scope=f"message:{pathway_id}")
    written = await parts.messages.write(pathway_id, body.text, principal, context, helsinki_now())
    if written.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return MessageCreated(entry_id=written.value)


@router.get(
    "/messages",
    summary="The path's thread, oldest first; the other side's messages count as read",
)
async def thread(pathway_id: UUID, principal: InThread, parts: Parts) -> ThreadView:
    found = await parts.messages.read(pathway_id, principal, helsinki_now())
    return ThreadView(
        items=[
            MessageView(
                entry_id=message.entry_id,
                from_role=message.from_role,
                text=message.body,
                written_at=message.written_at,
                read=message.read_at is not None,
            )
            for message in found.messages
        ],
        unread=found.unread,
    )


@router.get(
    "/messages/unread",
    summary="How many of the other side's messages wait for the caller (no words)",
)
async def unread(pathway_id: UUID, principal: InThread, parts: Parts) -> UnreadView:
    return UnreadView(unread=await parts.messages.unread(pathway_id, principal))
