"""Tasks' command handlers and the policy that starts a plan when a path opens."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

import asyncpg
from uuid6 import uuid7

from chassis.auth import Principal
from chassis.errors import NotFound
from chassis.event_store import DbConnection
from chassis.streams import CommandContext, EventStreams, check_expected_version
from contracts.events.base import EventModel
from contracts.events.enrolment import PathwayOpened
from contracts.events.guidance import GuidanceMeetingHeld
from contracts.events.tasks import TaskAnswered, WeekOpened
from services.tasks.adapters.answer_texts import store_answer
from services.tasks.adapters.curriculum_files import CURRENT_VERSION, load_curriculum
from services.tasks.adapters.instrument_files import load_instruments
from services.tasks.adapters.plan_access import find_access, record_access
from services.tasks.adapters.schedule_tables import (
    load_pauses,
    record_ending,
    record_pause,
    record_resume,
    save_next_opening,
)
from services.tasks.domain.curriculum import Direction
from services.tasks.domain.plan import (
    Plan,
    answer_task,
    change_direction,
    choose_direction,
    complete_after_meeting,
    open_due_weeks,
    open_next_week,
    start_plan,
)
from services.tasks.domain.self_assessment import Phase, submit_self_assessment


@dataclass(frozen=True)
class Answered:
    answer_id: UUID
    replayed: bool


class TasksHandlers:
    def __init__(self, streams: EventStreams, pool: asyncpg.Pool) -> None:
        self._streams = streams
        self._pool = pool

    async def start_plan_for(
        self, opened: PathwayOpened, context: CommandContext, today: date
    ) -> None:
        """Policy: a new path gets its plan, once, however often the event is delivered.

        Weeks the calendar has already opened (a start date in the past) open with it.
        """
        plan = await self._load(opened.pathway_id)
        events = start_plan(plan, opened.client_ref, CURRENT_VERSION, opened.start_date)
        if events:
            started = Plan.from_history(plan.pathway_id, plan.version, events)
            events += open_due_weeks(started, today)
        async with self._pool.acquire() as connection, connection.transaction():
            if events:
                await self._append_and_reschedule(plan, events, context, connection)
            await record_access(
                connection,
                opened.pathway_id,
                context.tenant,
                opened.client_ref,
                list(opened.counselor_ids),
            )

    async def load_visible(self, pathway_id: UUID, principal: Principal) -> Plan:
        """The plan, if the caller may see it; otherwise as if it did not exist."""
        access = await find_access(self._pool, pathway_id)
        if access is None or not access.allows(principal):
            raise NotFound("error.not_found")
        return await self._load(pathway_id)

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
        expected_version: int | None = None,
    ) -> Answered:
        plan = await self.load_visible(pathway_id, principal)
        if principal.role != "client":
            raise NotFound("error.not_found")
        previous = await self._streams.previous_result(context)
        if previous is not None:
            return Answered(
                await self._answer_id_at(previous.stream_id, previous.first_version), True
            )
        check_expected_version(str(pathway_id), expected_version, plan.version)
        curriculum = load_curriculum(plan.curriculum_version)
        answer_id = uuid7()
        held = await self._pool.fetchval(
            "SELECT 1 FROM held_meetings WHERE pathway_id = $1 AND task_id = $2",
            pathway_id,
            task_id,
        )
        events = answer_task(
            plan, curriculum, task_id, answer_id, text, kind, now, today, meeting_held=bool(held)
        )
        async with self._pool.acquire() as connection, connection.transaction():
            result = await self._streams.append(
                str(pathway_id), plan.version, events, context, connection
            )
            if not result.replayed:
                await store_answer(connection, answer_id, pathway_id, task_id, text.strip())
        if result.replayed:
            return Answered(await self._answer_id_at(result.stream_id, result.first_version), True)
        return Answered(answer_id, False)

    async def choose(
        self,
        pathway_id: UUID,
        direction: Direction,
        reason: str,
        principal: Principal,
        context: CommandContext,
        now: datetime,
        today: date,
        expected_version: int | None = None,
    ) -> bool:
        plan = await self.load_visible(pathway_id, principal)
        if principal.role != "client":
            raise NotFound("error.not_found")
        if await self._streams.previous_result(context) is not None:
            return True
        check_expected_version(str(pathway_id), expected_version, plan.version)
        events = choose_direction(plan, direction, now, today)
        async with self._pool.acquire() as connection, connection.transaction():
            result = await self._streams.append(
                str(pathway_id), plan.version, events, context, connection
            )
            if not result.replayed and reason.strip():
                await connection.execute(
                    "INSERT INTO direction_reasons (pathway_id, direction, body)"
                    " VALUES ($1, $2, $3)",
                    pathway_id,
                    direction,
                    reason.strip(),
                )
        return result.replayed

    async def open_next(
        self, pathway_id: UUID, principal: Principal, context: CommandContext, today: date
    ) -> int:
        plan = await self.load_visible(pathway_id, principal)
        if not principal.is_staff:
            raise NotFound("error.not_found")
        events = open_next_week(plan, today)
        async with self._pool.acquire() as connection, connection.transaction():
            await self._append_and_reschedule(plan, events, context, connection)
        return plan.open_week(today)

    async def open_due(self, pathway_id: UUID, today: date, context: CommandContext) -> int:
        """Policy of the calendar: record the weeks due to open; returns how many opened."""
        plan = await self._load(pathway_id)
        events = open_due_weeks(plan, today)
        async with self._pool.acquire() as connection, connection.transaction():
            if events:
                # One key per opening: a second scheduler deciding the same weeks stores nothing.
                last = events[-1]
                assert isinstance(last, WeekOpened)
                keyed = replace(context, idempotency_key=f"week-opened:{pathway_id}:{last.week}")
                await self._append_and_reschedule(plan, events, keyed, connection)
            else:
                await save_next_opening(connection, plan)
        return len(events)

    async def pause_changed(
        self, pathway_id: UUID, paused_on: date | None, resumed_on: date | None
    ) -> None:
        """Policy: a pause or resume from enrolment moves the path's coming openings."""
        async with self._pool.acquire() as connection, connection.transaction():
            if paused_on is not None:
                await record_pause(connection, pathway_id, paused_on)
            if resumed_on is not None:
                await record_resume(connection, pathway_id, resumed_on)
            plan = await self._load(pathway_id, connection)
            await save_next_opening(connection, plan)

    async def path_ended(self, pathway_id: UUID, ended_on: date) -> None:
        """Policy: a completed or discontinued path opens no more weeks."""
        async with self._pool.acquire() as connection, connection.transaction():
            await record_ending(connection, pathway_id, ended_on)

    async def change_direction(
        self,
        pathway_id: UUID,
        direction: Direction,
        principal: Principal,
        context: CommandContext,
        now: datetime,
        expected_version: int | None = None,
    ) -> bool:
        """The counselor records a change of direction agreed with the client."""
        plan = await self.load_visible(pathway_id, principal)
        if not principal.is_staff:
            raise NotFound("error.not_found")
        if await self._streams.previous_result(context) is not None:
            return True
        check_expected_version(str(pathway_id), expected_version, plan.version)
        events = change_direction(plan, direction, principal.subject, now)
        result = await self._streams.append(str(pathway_id), plan.version, events, context)
        return result.replayed

    async def self_assess(
        self,
        pathway_id: UUID,
        phase: Phase,
        scores: dict[str, dict[str, int]],
        principal: Principal,
        context: CommandContext,
        now: datetime,
        today: date,
    ) -> bool:
        """Every instrument's answers of one phase, recorded together; True on a replay."""
        plan = await self.load_visible(pathway_id, principal)
        if principal.role != "client":
            raise NotFound("error.not_found")
        if await self._streams.previous_result(context) is not None:
            return True
        instruments = load_instruments()
        events = [
            event
            for instrument_id, instrument in instruments.items()
            for event in submit_self_assessment(
                plan, instrument, phase, scores.get(instrument_id, {}), now, today
            )
        ]
        result = await self._streams.append(str(pathway_id), plan.version, events, context)
        return result.replayed

    async def meeting_held(self, held: GuidanceMeetingHeld, context: CommandContext) -> None:
        """Policy: a held meeting completes the answered tasks it covered, once."""
        async with self._pool.acquire() as connection:
            await connection.executemany(
                "INSERT INTO held_meetings (pathway_id, task_id, meeting_id) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING",
                [(held.pathway_id, task_id, held.meeting_id) for task_id in held.task_ids],
            )
        plan = await self._load(held.pathway_id)
        if not plan.started:
            return
        events = complete_after_meeting(
            plan, load_curriculum(plan.curriculum_version), list(held.task_ids)
        )
        if events:
            await self._streams.append(str(held.pathway_id), plan.version, events, context)

    async def answers_of(self, pathway_id: UUID) -> list[TaskAnswered]:
        """The path's TaskAnswered events in the order they were recorded."""
        stream = await self._streams.load(str(pathway_id))
        return [event for event in stream.events if isinstance(event, TaskAnswered)]

    async def _load(self, pathway_id: UUID, connection: DbConnection | None = None) -> Plan:
        stream = await self._streams.load(str(pathway_id))
        plan = Plan.from_history(pathway_id, stream.version, stream.events)
        plan.pauses = await load_pauses(connection or self._pool, pathway_id)
        return plan

    async def _append_and_reschedule(
        self,
        plan: Plan,
        events: list[EventModel],
        context: CommandContext,
        connection: DbConnection,
    ) -> None:
        """Append and, in the same transaction, move the path's next calendar opening."""
        await self._streams.append(str(plan.pathway_id), plan.version, events, context, connection)
        for event in events:
            plan.apply(event)
        await save_next_opening(connection, plan)

    async def _answer_id_at(self, stream_id: str, version: int) -> UUID:
        stream = await self._streams.load(stream_id)
        event = stream.events[version - 1]
        assert isinstance(event, TaskAnswered)
        return event.answer_id
