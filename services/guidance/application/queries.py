"""What guidance shows of a path: its meetings (with the counselors' notes), the feedback on
its answers and its outcomes. Every read of a client's data by staff goes to the access log."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from chassis.access_log import record_read
from chassis.auth import Principal
from chassis.unit_of_work import CommandPipeline
from services.guidance.adapters.feedback_texts import FeedbackText, feedback_of
from services.guidance.adapters.meeting_notes import MeetingNote, notes_of
from services.guidance.application.ports import Paths
from services.guidance.application.records import load_record, require_access
from services.guidance.domain.guidance_record import Meeting, RecordedOutcome


@dataclass(frozen=True)
class MeetingsRead:
    meetings: list[Meeting]
    # The record's version, for If-Match on the next command.
    version: int
    # The counselors' notes; None for the client, who does not see them.
    notes: list[MeetingNote] | None


@dataclass(frozen=True)
class OutcomesRead:
    outcomes: list[RecordedOutcome]
    version: int


@dataclass(frozen=True)
class GuidanceQueries:
    pipeline: CommandPipeline
    paths: Paths
    pool: asyncpg.Pool

    async def meetings(self, pathway_id: UUID, principal: Principal) -> MeetingsRead:
        """The meetings in the order they were first asked for or arranged, the record's
        version and, for the counselors, the notes."""
        access = await require_access(self.paths, pathway_id, principal, staff_only=False)
        record = await load_record(self.pipeline.load, pathway_id)
        notes = None
        if principal.is_staff:
            notes = await notes_of(self.pool, pathway_id)
            if access.client_ref is not None:
                await record_read(self.pool, principal, access.client_ref, "meetings", pathway_id)
        return MeetingsRead(list(record.meetings.values()), record.version, notes)

    async def feedback(self, pathway_id: UUID, principal: Principal) -> list[FeedbackText]:
        access = await require_access(self.paths, pathway_id, principal, staff_only=False)
        if access.client_ref is not None:
            await record_read(self.pool, principal, access.client_ref, "feedback", pathway_id)
        return await feedback_of(self.pool, pathway_id)

    async def outcomes(self, pathway_id: UUID, principal: Principal) -> OutcomesRead:
        access = await require_access(self.paths, pathway_id, principal, staff_only=True)
        record = await load_record(self.pipeline.load, pathway_id)
        if access.client_ref is not None:
            await record_read(self.pool, principal, access.client_ref, "outcomes", pathway_id)
        return OutcomesRead(list(record.outcomes.values()), record.version)
