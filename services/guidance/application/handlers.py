"""Guidance's command handlers: meetings of a path, asked for by its client or counselor and
arranged by the counselor; the counselors also read the meetings' notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
from uuid6 import uuid7

from chassis.access_log import record_read
from chassis.auth import Principal
from chassis.streams import CommandContext, EventStreams, check_expected_version
from contracts.events.guidance import GuidanceMeetingRequested
from services.guidance.adapters.meeting_notes import MeetingNote, notes_of
from services.guidance.adapters.path_access import require_access
from services.guidance.application.retry import once_more_on_conflict
from services.guidance.domain.guidance_record import (
    GuidanceRecord,
    Meeting,
    MeetingMode,
    Requester,
    hold_meeting,
    mark_missed,
    request_meeting,
    schedule_meeting,
)


@dataclass(frozen=True)
class Requested:
    meeting_id: UUID
    # False when the same request was already waiting for a time: nothing new was recorded.
    recorded: bool
    # True for a retry of a command already run (same idempotency key).
    replayed: bool = False


@dataclass(frozen=True)
class MeetingsRead:
    meetings: list[Meeting]
    # The record's version, for If-Match on the next command.
    version: int
    # The counselors' notes; None for the client, who does not see them.
    notes: list[MeetingNote] | None


class GuidanceHandlers:
    def __init__(self, streams: EventStreams, pool: asyncpg.Pool) -> None:
        self._streams = streams
        self._pool = pool

    async def _load_for(
        self, pathway_id: UUID, principal: Principal, *, staff_only: bool = True
    ) -> GuidanceRecord:
        """The record of a path the caller may act on; otherwise as if it did not exist."""
        await require_access(self._pool, pathway_id, principal, staff_only=staff_only)
        return await self._load(pathway_id)

    async def _load(self, pathway_id: UUID) -> GuidanceRecord:
        stream = await self._streams.load(str(pathway_id))
        return GuidanceRecord.from_history(pathway_id, stream.version, stream.events)

    async def meetings(self, pathway_id: UUID, principal: Principal) -> list[Meeting]:
        """The path's meetings in the order they were first asked for or arranged."""
        return (await self.meetings_read(pathway_id, principal)).meetings

    async def meetings_read(self, pathway_id: UUID, principal: Principal) -> MeetingsRead:
        """The meetings, the record's version and, for the counselors, the notes."""
        access = await require_access(self._pool, pathway_id, principal, staff_only=False)
        record = await self._load(pathway_id)
        notes = None
        if principal.is_staff:
            notes = await notes_of(self._pool, pathway_id)
            if access.client_ref is not None:
                await record_read(self._pool, principal, access.client_ref, "meetings", pathway_id)
        return MeetingsRead(list(record.meetings.values()), record.version, notes)

    async def request(
        self,
        pathway_id: UUID,
        task_id: str | None,
        principal: Principal,
        context: CommandContext,
        now: datetime,
    ) -> Requested:
        await require_access(self._pool, pathway_id, principal, staff_only=False)
        requested_by: Requester = "client" if principal.role == "client" else "counselor"

        async def attempt() -> Requested:
            previous = await self._streams.previous_result(context)
            if previous is not None:
                meeting_id = await self._meeting_id_at(previous.stream_id, previous.first_version)
                return Requested(meeting_id, recorded=False, replayed=True)
            record = await self._load(pathway_id)
            meeting_id, events = request_meeting(record, uuid7(), requested_by, task_id, now)
            if not events:
                return Requested(meeting_id, recorded=False)
            result = await self._streams.append(str(pathway_id), record.version, events, context)
            if result.replayed:
                meeting_id = await self._meeting_id_at(result.stream_id, result.first_version)
                return Requested(meeting_id, recorded=False, replayed=True)
            return Requested(meeting_id, recorded=True)

        return await once_more_on_conflict(attempt)

    async def schedule(
        self,
        pathway_id: UUID,
        meeting_id: UUID,
        starts_at: datetime,
        mode: MeetingMode,
        task_ids: list[str],
        principal: Principal,
        context: CommandContext,
        expected_version: int | None = None,
    ) -> None:
        record = await self._load_for(pathway_id, principal)
        if await self._streams.previous_result(context) is not None:
            return  # a retry of a command that went through
        check_expected_version(str(pathway_id), expected_version, record.version)
        events = schedule_meeting(record, meeting_id, starts_at, mode, task_ids)
        await self._streams.append(str(pathway_id), record.version, events, context)

    async def held(
        self,
        pathway_id: UUID,
        meeting_id: UUID,
        held: bool,
        at: datetime,
        principal: Principal,
        context: CommandContext,
        expected_version: int | None = None,
    ) -> None:
        record = await self._load_for(pathway_id, principal)
        if await self._streams.previous_result(context) is not None:
            return  # a retry of a command that went through
        check_expected_version(str(pathway_id), expected_version, record.version)
        decide = hold_meeting if held else mark_missed
        events = decide(record, meeting_id, at)
        if events:
            await self._streams.append(str(pathway_id), record.version, events, context)

    async def _meeting_id_at(self, stream_id: str, version: int) -> UUID:
        stream = await self._streams.load(stream_id)
        event = stream.events[version - 1]
        assert isinstance(event, GuidanceMeetingRequested)
        return event.meeting_id
