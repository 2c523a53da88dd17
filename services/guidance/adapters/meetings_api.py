"""Guidance's meeting API: the client or the counselor asks for a meeting, the counselor
schedules it, marks it held or missed and writes notes of it, and both see how the path's
meetings stand (the notes only the counselors)."""

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
from services.guidance.domain.guidance_record import MeetingMode, MeetingState
from services.guidance.domain.meeting_notes import MAX_NOTE_LENGTH

router = APIRouter(prefix="/pathways/{pathway_id}", tags=["meetings"])
Parts = Annotated[Guidance, Depends(guidance)]
Staff = Annotated[Principal, Depends(require_role("counselor", "admin"))]
# The path's own client too; whoever else gets a 404 from the path's access rule.
# The path's client and its counselors; a manager sees only aggregates (403 here).
ClientOrStaff = Annotated[Principal, Depends(require_role("client", "counselor", "admin"))]


# A task id is a short code of the curriculum (e.g. "w3-t2"), one line.
TASK_ID = CleanText(64, label="guidance.field.task", min_length=1, single_line=True, strip=True)
TaskId = Annotated[str, TASK_ID]
TaskIds = Annotated[
    str,
    CleanText(64, label="guidance.field.task_ids", min_length=1, single_line=True, strip=True),
]


class MeetingRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"task_id": "w01-t1"}]},
    )

    task_id: TaskId | None = Field(
        None, description="The task of the path's curriculum it is about, if any."
    )


class MeetingRequested(BaseModel):
    meeting_id: UUID


class ScheduleRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "starts_at": "2026-12-10T10:00:00+02:00",
                    "mode": "video",
                    "task_ids": ["w01-t1"],
                }
            ]
        },
    )

    starts_at: datetime = Field(
        description="When it starts: Helsinki time without an offset, or with a real UTC"
        " offset (kept as the same instant in Helsinki time); from the path's start to a year"
        " ahead.",
        examples=["2026-12-10T10:00:00+02:00"],
    )
    mode: MeetingMode
    task_ids: list[TaskIds] = Field(
        default_factory=list,
        max_length=12,
        description="Tasks of the path's curriculum the meeting is about.",
    )


class OutcomeRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"held": True}]},
    )

    held: bool = Field(description="True when the meeting was held, false when missed.")


class MeetingView(BaseModel):
    meeting_id: UUID
    state: MeetingState
    task_ids: list[str]
    starts_at: datetime | None
    mode: MeetingMode | None


class NoteView(BaseModel):
    note_id: UUID
    meeting_id: UUID
    counselor_id: str
    text: str
    written_at: datetime


class MeetingList(BaseModel):
    items: list[MeetingView]
    notes: list[NoteView] | None = Field(
        None, description="The counselors' notes, oldest first; left out for the client."
    )


NOTE_TEXT = CleanText(MAX_NOTE_LENGTH, label="guidance.field.note", hard_limit=MAX_NOTE_LENGTH * 2)


class NoteRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"text": "Käytiin läpi viikon tehtävät; asiakas haluaa työkokeiluun."}]
        },
    )

    # Twice the limit gets through, so that a little too long is told in words with the limit.
    text: Annotated[str, NOTE_TEXT] = Field(
        description=f"The note, 1–{MAX_NOTE_LENGTH} characters."
    )


class NoteCreated(BaseModel):
    note_id: UUID


@router.get(
    "/meetings",
    summary="The path's meetings, for its client and counselors",
    response_model_exclude_unset=True,
)
async def meetings(
    pathway_id: UUID, response: Response, principal: ClientOrStaff, parts: Parts
) -> MeetingList:
    found = await parts.queries.meetings(pathway_id, principal)
    response.headers["ETag"] = f'"{found.version}"'
    items = [
        MeetingView(
            meeting_id=meeting.meeting_id,
            state=meeting.state,
            task_ids=meeting.task_ids,
            starts_at=meeting.starts_at,
            mode=meeting.mode,
        )
        for meeting in found.meetings
    ]
    if found.notes is None:
        return MeetingList(items=items)  # `notes` unset: not in the client's response at all
    return MeetingList(
        items=items,
        notes=[
            NoteView(
                note_id=note.note_id,
                meeting_id=note.meeting_id,
                counselor_id=note.counselor_id,
                text=note.body,
                written_at=note.written_at,
            )
            for note in found.notes
        ],
    )


@router.post(
    "/meetings/{meeting_id}/notes",
    status_code=status.HTTP_201_CREATED,
    summary="Write a note of a guidance meeting (its counselors read it, never the client)",
    responses={200: {"description": "A retry of a note already written."}},
)
async def write_note(
    pathway_id: UUID,
    meeting_id: UUID,
    body: NoteRequest,
    request: Request,
    response: Response,
    principal: Staff,
    parts: Parts,
) -> NoteCreated:
    scope = f"meeting-note:{pathway_id}:{meeting_id}"
    context = await http_command(request, principal, scope=scope)
    written = await parts.notes.write(
        pathway_id, meeting_id, body.text, principal, context, helsinki_now()
    )
    stored = written.value
    if stored.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return NoteCreated(note_id=stored.note_id)


@router.post(
    "/meeting-requests",
    status_code=status.HTTP_201_CREATED,
    summary="Ask for a guidance meeting (the client or the counselor)",
    responses={200: {"description": "The same request was already waiting, or a retry."}},
)
async def request_meeting(
    pathway_id: UUID,
    body: MeetingRequest,
    request: Request,
    response: Response,
    principal: ClientOrStaff,
    parts: Parts,
) -> MeetingRequested:
    context = await http_command(request, principal, scope=f"meeting-request:{pathway_id}")
    ran = await parts.meetings.request(pathway_id, body.task_id, principal, context, helsinki_now())
    if not ran.value.recorded:
        response.status_code = status.HTTP_200_OK
    if ran.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return MeetingRequested(meeting_id=ran.value.meeting_id)


@router.put(
    "/meetings/{meeting_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Schedule (or reschedule) a guidance meeting",
)
async def schedule(
    pathway_id: UUID,
    meeting_id: UUID,
    body: ScheduleRequest,
    request: Request,
    principal: Staff,
    parts: Parts,
) -> None:
    context = await http_command(request, principal, scope=f"meeting:{meeting_id}")
    await parts.meetings.schedule(
        pathway_id,
        meeting_id,
        body.starts_at,
        body.mode,
        body.task_ids,
        principal,
        context,
        helsinki_now(),
    )


@router.post(
    "/meetings/{meeting_id}/outcome",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Mark a scheduled meeting held or missed",
)
async def outcome(
    pathway_id: UUID,
    meeting_id: UUID,
    body: OutcomeRequest,
    request: Request,
    principal: Staff,
    parts: Parts,
) -> None:
    context = await http_command(request, principal, scope=f"meeting-outcome:{meeting_id}")
    await parts.meetings.held(pathway_id, meeting_id, body.held, helsinki_now(), principal, context)
