"""Guidance's command handlers: meetings of the paths a counselor is assigned to."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from chassis.auth import Principal
from chassis.errors import NotFound
from chassis.streams import CommandContext, EventStreams
from services.guidance.domain.guidance_record import (
    GuidanceRecord,
    MeetingMode,
    hold_meeting,
    mark_missed,
    schedule_meeting,
)


class GuidanceHandlers:
    def __init__(self, streams: EventStreams, pool: asyncpg.Pool) -> None:
        self._streams = streams
        self._pool = pool

    async def _load_for(self, pathway_id: UUID, principal: Principal) -> GuidanceRecord:
        """The record of a path in the caller's caseload; otherwise as if it did not exist."""
        row = await self._pool.fetchrow(
            "SELECT tenant, counselor_ids FROM caseload WHERE pathway_id = $1", pathway_id
        )
        allowed = (
            row is not None
            and row["tenant"] == principal.tenant
            and (principal.role == "admin" or principal.subject in row["counselor_ids"])
        )
        if not allowed:
            raise NotFound("error.not_found")
        stream = await self._streams.load(str(pathway_id))
        return GuidanceRecord.from_history(pathway_id, stream.version, stream.events)

    async def schedule(
        self,
        pathway_id: UUID,
        meeting_id: UUID,
        starts_at: datetime,
        mode: MeetingMode,
        task_ids: list[str],
        principal: Principal,
        context: CommandContext,
    ) -> None:
        record = await self._load_for(pathway_id, principal)
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
    ) -> None:
        record = await self._load_for(pathway_id, principal)
        decide = hold_meeting if held else mark_missed
        events = decide(record, meeting_id, at)
        if events:
            await self._streams.append(str(pathway_id), record.version, events, context)
