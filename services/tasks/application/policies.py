"""What tasks does on its own: start a plan when a path opens, open the calendar's weeks,
complete tasks after a held meeting, move the calendar when a path pauses, resumes or ends.

The facts these decide on (who may see a plan, its pauses, its ending, the meetings held)
are kept by tracked projections (adapters/projections.py), applied before the reactions
(adapters/consumer.py) see the same events.

Each runs through the command pipeline like a person's command: a policy's idempotency key
(made by its caller from the event or the week) makes a redelivery decide nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from chassis.event_store import AppendResult
from chassis.streams import CommandContext
from chassis.unit_of_work import CommandPipeline, Ran, UnitOfWork
from contracts.events.base import EventModel
from contracts.events.enrolment import PathwayOpened
from contracts.events.guidance import GuidanceMeetingHeld
from services.tasks.adapters.curriculum_files import CURRENT_VERSION, load_curriculum
from services.tasks.application.plans import load_plan
from services.tasks.application.ports import Calendars
from services.tasks.domain.plan import (
    Plan,
    complete_after_meeting,
    open_due_weeks,
    start_plan,
)


@dataclass(frozen=True)
class PlanPolicies:
    pipeline: CommandPipeline
    calendars: Calendars

    async def start_plan_for(
        self, opened: PathwayOpened, context: CommandContext, today: date
    ) -> Ran[None]:
        """A new path gets its plan, once; weeks the calendar has already opened (a start
        date in the past) open with it."""

        async def handle(work: UnitOfWork) -> None:
            plan = await load_plan(work.load, self.calendars, opened.pathway_id, work)
            events = start_plan(plan, opened.client_ref, CURRENT_VERSION, opened.start_date)
            if events:
                started = Plan.from_history(plan.pathway_id, plan.version, events)
                started.pauses, started.ended_on = plan.pauses, plan.ended_on
                events += open_due_weeks(started, today)
                await work.append(str(plan.pathway_id), plan.version, events)
                await self.calendars.keep_next_opening(work, _applied(plan, events))

        return await self.pipeline.run(context, handle, _nothing)

    async def open_due(self, pathway_id: UUID, today: date, context: CommandContext) -> int:
        """The calendar records the weeks due to open; returns how many it opened."""
        seen = await load_plan(self.pipeline.load, self.calendars, pathway_id)
        due = open_due_weeks(seen, today)
        # One key per opening: a second scheduler deciding the same weeks stores nothing.
        keyed = replace(
            context, idempotency_key=f"week-opened:{pathway_id}:{seen.opened_week + len(due)}"
        )

        async def handle(work: UnitOfWork) -> int:
            plan = await load_plan(work.load, self.calendars, pathway_id, work)
            events = open_due_weeks(plan, today)
            await work.append(str(pathway_id), plan.version, events)
            await self.calendars.keep_next_opening(work, _applied(plan, events))
            return len(events)

        async def replay(recorded: AppendResult) -> int:
            return 0

        return (await self.pipeline.run(keyed if due else context, handle, replay)).value

    async def meeting_held(self, held: GuidanceMeetingHeld, context: CommandContext) -> None:
        """A held meeting completes the answered tasks it covered, once; a task answered
        later finds the meeting and completes then."""

        async def handle(work: UnitOfWork) -> None:
            task_ids = list(held.task_ids)
            plan = await load_plan(work.load, self.calendars, held.pathway_id, work)
            if not plan.started:
                return
            curriculum = load_curriculum(plan.curriculum_version)
            events = complete_after_meeting(plan, curriculum, task_ids)
            await work.append(str(held.pathway_id), plan.version, events)

        await self.pipeline.run(context, handle, _nothing)

    async def reschedule(self, pathway_id: UUID, context: CommandContext) -> None:
        """A pause, resume or ending (already in its projection) moves the path's coming
        openings, or takes the path off the calendar."""

        async def handle(work: UnitOfWork) -> None:
            plan = await load_plan(work.load, self.calendars, pathway_id, work)
            await self.calendars.keep_next_opening(work, plan)

        await self.pipeline.run(context, handle, _nothing)


def _applied(plan: Plan, events: Sequence[EventModel]) -> Plan:
    for event in events:
        plan.apply(event)
    return plan


async def _nothing(recorded: AppendResult) -> None:
    return None
