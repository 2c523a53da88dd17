"""Outcome follow-ups: the counselor records what the client went on to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from chassis.auth import Principal
from chassis.event_store import AppendResult
from chassis.streams import CommandContext
from chassis.unit_of_work import CommandPipeline, Ran, UnitOfWork
from services.guidance.application.ports import Paths
from services.guidance.application.records import load_record, require_access
from services.guidance.application.retry import once_more_on_conflict
from services.guidance.domain.guidance_record import RecordedOutcome
from services.guidance.domain.outcomes import FollowUp, OutcomeKind, record_outcome


@dataclass(frozen=True)
class OutcomeCommands:
    pipeline: CommandPipeline
    paths: Paths

    async def record(
        self,
        pathway_id: UUID,
        follow_up: FollowUp,
        outcome: OutcomeKind,
        outcome_date: date,
        principal: Principal,
        context: CommandContext,
        now: datetime,
        today: date,
    ) -> Ran[RecordedOutcome]:
        access = await require_access(self.paths, pathway_id, principal, staff_only=True)

        async def handle(work: UnitOfWork) -> RecordedOutcome:
            record = await load_record(work.load, pathway_id)
            events = record_outcome(
                record, access.span, follow_up, outcome, outcome_date, today, now
            )
            await work.append(str(pathway_id), record.version, events)
            for event in events:
                record.apply(event)
            return record.outcomes[follow_up]

        async def replay(recorded: AppendResult) -> RecordedOutcome:
            return (await load_record(self.pipeline.load, pathway_id)).outcomes[follow_up]

        return await once_more_on_conflict(lambda: self.pipeline.run(context, handle, replay))
