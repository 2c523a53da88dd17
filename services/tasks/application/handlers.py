"""Tasks' commands: the client answers, drafts, chooses a direction and assesses themselves;
the counselor opens a week early and records a change of direction.

Each handler is the decision; the command pipeline (chassis/unit_of_work.py) does the
idempotency, the transaction, If-Match and the race with a retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from uuid6 import uuid7

from chassis.auth import Principal
from chassis.event_store import AppendResult
from chassis.streams import CommandContext
from chassis.unit_of_work import CommandPipeline, Ran, UnitOfWork
from contracts.events.tasks import TaskAnswered
from services.tasks.adapters.curriculum_files import load_curriculum
from services.tasks.adapters.instrument_files import load_instruments
from services.tasks.application.plans import load_started_plan, require_access
from services.tasks.application.ports import Calendars, HeldMeetings, Paths, Texts
from services.tasks.domain.curriculum import Direction
from services.tasks.domain.plan import (
    answer_task,
    change_direction,
    choose_direction,
    open_next_week,
    refuse_if_ended,
)
from services.tasks.domain.self_assessment import Phase, submit_self_assessment


@dataclass(frozen=True)
class PlanCommands:
    pipeline: CommandPipeline
    paths: Paths
    calendars: Calendars
    texts: Texts
    meetings: HeldMeetings

    async def answer(
        self,
        pathway_id: UUID,
        task_id: str,
        text: str,
        kind: str,
        principal: Principal,
        context: CommandContext,
        now: datetime,
        today: date,
    ) -> Ran[UUID]:
        """The answer's id (the first one's, on a retry)."""
        await require_access(self.paths, pathway_id, principal, role="client")
        meeting_held = await self.meetings.held(pathway_id, task_id)

        async def handle(work: UnitOfWork) -> UUID:
            plan = await load_started_plan(work.load, self.calendars, pathway_id)
            curriculum = load_curriculum(plan.curriculum_version)
            answer_id = uuid7()
            events = answer_task(
                plan, curriculum, task_id, answer_id, text, kind, now, today, meeting_held
            )
            await work.append(str(pathway_id), plan.version, events)
            await self.texts.keep_answer(work, answer_id, pathway_id, task_id, text.strip())
            return answer_id

        return await self.pipeline.run(context, handle, self._answer_id)

    async def save_draft(
        self, pathway_id: UUID, task_id: str, text: str, principal: Principal
    ) -> None:
        """A draft is kept only while the path can still take the answer."""
        await require_access(self.paths, pathway_id, principal, role="client")
        refuse_if_ended(await load_started_plan(self.pipeline.load, self.calendars, pathway_id))
        await self.texts.keep_draft(pathway_id, task_id, text)

    async def choose(
        self,
        pathway_id: UUID,
        direction: Direction,
        reason: str,
        principal: Principal,
        context: CommandContext,
        now: datetime,
        today: date,
    ) -> Ran[None]:
        await require_access(self.paths, pathway_id, principal, role="client")

        async def handle(work: UnitOfWork) -> None:
            plan = await load_started_plan(work.load, self.calendars, pathway_id)
            await work.append(
                str(pathway_id), plan.version, choose_direction(plan, direction, now, today)
            )
            if reason.strip():
                await self.texts.keep_reason(work, pathway_id, direction, reason.strip())

        return await self.pipeline.run(context, handle, _nothing)

    async def open_next(
        self, pathway_id: UUID, principal: Principal, context: CommandContext, today: date
    ) -> Ran[int]:
        """The counselor opens the next week ahead of the calendar; the week now open."""
        await require_access(self.paths, pathway_id, principal, role="staff")

        async def handle(work: UnitOfWork) -> int:
            plan = await load_started_plan(work.load, self.calendars, pathway_id, work)
            events = open_next_week(plan, today)
            await work.append(str(pathway_id), plan.version, events)
            for event in events:
                plan.apply(event)
            await self.calendars.keep_next_opening(work, plan)
            return plan.open_week(today)

        async def replay(recorded: AppendResult) -> int:
            plan = await load_started_plan(self.pipeline.load, self.calendars, pathway_id)
            return plan.open_week(today)

        return await self.pipeline.run(context, handle, replay)

    async def change_direction(
        self,
        pathway_id: UUID,
        direction: Direction,
        principal: Principal,
        context: CommandContext,
        now: datetime,
    ) -> Ran[None]:
        """The counselor records a change of direction agreed with the client."""
        await require_access(self.paths, pathway_id, principal, role="staff")

        async def handle(work: UnitOfWork) -> None:
            plan = await load_started_plan(work.load, self.calendars, pathway_id)
            events = change_direction(plan, direction, principal.subject, now)
            await work.append(str(pathway_id), plan.version, events)

        return await self.pipeline.run(context, handle, _nothing)

    async def self_assess(
        self,
        pathway_id: UUID,
        phase: Phase,
        scores: dict[str, dict[str, int]],
        principal: Principal,
        context: CommandContext,
        now: datetime,
        today: date,
    ) -> Ran[None]:
        """Every instrument's answers of one phase, recorded together."""
        await require_access(self.paths, pathway_id, principal, role="client")

        async def handle(work: UnitOfWork) -> None:
            plan = await load_started_plan(work.load, self.calendars, pathway_id)
            events = [
                event
                for instrument_id, instrument in load_instruments().items()
                for event in submit_self_assessment(
                    plan, instrument, phase, scores.get(instrument_id, {}), now, today
                )
            ]
            await work.append(str(pathway_id), plan.version, events)

        return await self.pipeline.run(context, handle, _nothing)

    async def _answer_id(self, recorded: AppendResult) -> UUID:
        stream = await self.pipeline.load(recorded.stream_id)
        event = stream.events[recorded.first_version - 1]
        assert isinstance(event, TaskAnswered)
        return event.answer_id


async def _nothing(recorded: AppendResult) -> None:
    return None
