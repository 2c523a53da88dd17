"""Guidance's meeting commands: the path's client or counselor asks for a meeting, the
counselor arranges it and marks it held or missed.

Each handler is the decision; the command pipeline (chassis/unit_of_work.py) does the
idempotency, the transaction, If-Match and the race with a retry. What a meeting may refer
to and when it may be are checked before deciding (decision 0019).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from uuid6 import uuid7

from chassis.auth import Principal
from chassis.event_store import AppendResult
from chassis.streams import CommandContext
from chassis.unit_of_work import CommandPipeline, Ran, UnitOfWork
from contracts.events.guidance import GuidanceMeetingRequested
from services.guidance.application.ports import Paths
from services.guidance.application.records import first_event, load_record, require_access
from services.guidance.application.retry import once_more_on_conflict
from services.guidance.domain.guidance_record import (
    MeetingMode,
    Requester,
    hold_meeting,
    mark_missed,
    request_meeting,
    schedule_meeting,
)
from services.guidance.domain.references import CurriculumTasks, known_tasks, meeting_time


@dataclass(frozen=True)
class Requested:
    meeting_id: UUID
    # False when the same request was already waiting for a time (or this is a retry).
    recorded: bool


@dataclass(frozen=True)
class MeetingCommands:
    pipeline: CommandPipeline
    paths: Paths
    curricula: CurriculumTasks

    async def request(
        self,
        pathway_id: UUID,
        task_id: str | None,
        principal: Principal,
        context: CommandContext,
        now: datetime,
    ) -> Ran[Requested]:
        access = await require_access(self.paths, pathway_id, principal, staff_only=False)
        if task_id is not None:
            known_tasks([task_id], self.curricula.of(access.curriculum_version))
        requested_by: Requester = "client" if principal.role == "client" else "counselor"

        async def handle(work: UnitOfWork) -> Requested:
            record = await load_record(work.load, pathway_id)
            meeting_id, events = request_meeting(record, uuid7(), requested_by, task_id, now)
            await work.append(str(pathway_id), record.version, events)
            return Requested(meeting_id, recorded=bool(events))

        async def replay(recorded: AppendResult) -> Requested:
            event = await first_event(self.pipeline.load, recorded)
            assert isinstance(event, GuidanceMeetingRequested)
            return Requested(event.meeting_id, recorded=False)

        # Two people asking at once: the second decides again and finds the first's request.
        return await once_more_on_conflict(lambda: self.pipeline.run(context, handle, replay))

    async def schedule(
        self,
        pathway_id: UUID,
        meeting_id: UUID,
        starts_at: datetime,
        mode: MeetingMode,
        task_ids: list[str],
        principal: Principal,
        context: CommandContext,
        now: datetime,
    ) -> Ran[None]:
        access = await require_access(self.paths, pathway_id, principal, staff_only=True)
        tasks = known_tasks(task_ids, self.curricula.of(access.curriculum_version))
        when = meeting_time(starts_at, access.start_date, now)

        async def handle(work: UnitOfWork) -> None:
            record = await load_record(work.load, pathway_id)
            events = schedule_meeting(record, meeting_id, when, mode, tasks)
            await work.append(str(pathway_id), record.version, events)

        return await self.pipeline.run(context, handle, _nothing)

    async def held(
        self,
        pathway_id: UUID,
        meeting_id: UUID,
        held: bool,
        at: datetime,
        principal: Principal,
        context: CommandContext,
    ) -> Ran[None]:
        await require_access(self.paths, pathway_id, principal, staff_only=True)
        decide = hold_meeting if held else mark_missed

        async def handle(work: UnitOfWork) -> None:
            record = await load_record(work.load, pathway_id)
            await work.append(str(pathway_id), record.version, decide(record, meeting_id, at))

        return await self.pipeline.run(context, handle, _nothing)


async def _nothing(recorded: AppendResult) -> None:
    return None
