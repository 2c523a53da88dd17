"""Tasks' commands and policies without HTTP or a database: the pipeline on the in-memory
store, the path's access, calendar, texts and held meetings in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from chassis.auth import Principal
from chassis.errors import Conflict, DomainError, NotFound
from chassis.event_store import ConcurrencyConflict, GlobalPosition, IdempotencyKeyReused
from chassis.memory_store import InMemoryEventStore
from chassis.streams import CommandContext
from chassis.unit_of_work import CommandPipeline, UnitOfWork
from contracts.envelope import Actor
from contracts.events.enrolment import PathwayOpened
from contracts.events.guidance import GuidanceMeetingHeld
from services.tasks.adapters.instrument_files import load_instruments
from services.tasks.adapters.plan_access import PlanAccess
from services.tasks.application.handlers import PlanCommands
from services.tasks.application.policies import PlanPolicies
from services.tasks.application.ports import PathCalendar
from services.tasks.application.queries import PlanQueries
from services.tasks.domain.curriculum import WEEKS, Direction
from services.tasks.domain.plan import Plan
from services.tasks.domain.schedule import Pause
from services.tasks.tests.plans import CURRICULUM

TENANT = "kanta-hame"
COUNSELOR = Principal(subject="ohjaaja-1", role="counselor", tenant=TENANT)
STRANGER = Principal(subject="ohjaaja-2", role="counselor", tenant=TENANT)
CLIENT = Principal(subject="asiakas", role="client", tenant=TENANT, client_ref="ref-1")
OTHER_CLIENT = Principal(subject="toinen", role="client", tenant=TENANT, client_ref="ref-2")
START = date(2026, 11, 30)
TODAY = START + timedelta(days=8)  # week 2 is open
NOW = datetime(2026, 12, 8, 9, tzinfo=UTC)
MEETING_TASK = next(t for t in CURRICULUM.tasks if t.requires_meeting and t.week <= 2)


class MemoryPaths:
    def __init__(self) -> None:
        self.access_of: dict[UUID, PlanAccess] = {}

    async def access(self, pathway_id: UUID) -> PlanAccess | None:
        return self.access_of.get(pathway_id)

    def opened(self, pathway_id: UUID) -> None:
        """As the access projection records PathwayOpened."""
        self.access_of[pathway_id] = PlanAccess(
            pathway_id, TENANT, str(CLIENT.client_ref), (COUNSELOR.subject,)
        )


@dataclass
class MemoryCalendars:
    pauses: dict[UUID, list[Pause]] = field(default_factory=dict)
    endings: dict[UUID, date] = field(default_factory=dict)
    next_opening: dict[UUID, tuple[int, date] | None] = field(default_factory=dict)

    async def of(self, pathway_id: UUID, work: UnitOfWork | None = None) -> PathCalendar:
        return PathCalendar(list(self.pauses.get(pathway_id, [])), self.endings.get(pathway_id))

    # As the pauses' and endings' projections record enrolment's events.
    def paused(self, pathway_id: UUID, paused_on: date) -> None:
        self.pauses.setdefault(pathway_id, []).append(Pause(paused_on))

    def resumed(self, pathway_id: UUID, resumed_on: date) -> None:
        self.pauses[pathway_id] = [
            Pause(p.paused_on, resumed_on) if p.resumed_on is None else p
            for p in self.pauses.get(pathway_id, [])
        ]

    def ended(self, pathway_id: UUID, ended_on: date) -> None:
        self.endings.setdefault(pathway_id, ended_on)

    async def keep_next_opening(self, work: UnitOfWork, plan: Plan) -> None:
        if plan.ended:
            self.next_opening.pop(plan.pathway_id, None)
        else:
            self.next_opening[plan.pathway_id] = plan.next_calendar_opening()


@dataclass
class MemoryTexts:
    answers: dict[UUID, str] = field(default_factory=dict)
    reasons: list[tuple[UUID, str]] = field(default_factory=list)
    drafts: dict[tuple[UUID, str], str] = field(default_factory=dict)

    async def keep_answer(
        self, work: UnitOfWork, answer_id: UUID, pathway_id: UUID, task_id: str, body: str
    ) -> None:
        self.answers[answer_id] = body
        self.drafts.pop((pathway_id, task_id), None)

    async def keep_reason(
        self, work: UnitOfWork, pathway_id: UUID, direction: Direction, body: str
    ) -> None:
        self.reasons.append((pathway_id, body))

    async def keep_draft(self, pathway_id: UUID, task_id: str, body: str) -> None:
        self.drafts[(pathway_id, task_id)] = body


@dataclass
class MemoryMeetings:
    rows: set[tuple[UUID, str]] = field(default_factory=set)

    async def held(self, pathway_id: UUID, task_id: str) -> bool:
        return (pathway_id, task_id) in self.rows

    def held_about(self, held: GuidanceMeetingHeld) -> None:
        """As the held meetings' projection records GuidanceMeetingHeld."""
        self.rows.update((held.pathway_id, task_id) for task_id in held.task_ids)


@dataclass
class World:
    pipeline: CommandPipeline = field(
        default_factory=lambda: CommandPipeline.in_memory(InMemoryEventStore())
    )
    paths: MemoryPaths = field(default_factory=MemoryPaths)
    calendars: MemoryCalendars = field(default_factory=MemoryCalendars)
    texts: MemoryTexts = field(default_factory=MemoryTexts)
    meetings: MemoryMeetings = field(default_factory=MemoryMeetings)

    @property
    def commands(self) -> PlanCommands:
        return PlanCommands(self.pipeline, self.paths, self.calendars, self.texts, self.meetings)

    @property
    def policies(self) -> PlanPolicies:
        return PlanPolicies(self.pipeline, self.calendars)

    @property
    def queries(self) -> PlanQueries:
        return PlanQueries(self.pipeline, self.paths, self.calendars)

    async def events(self) -> list[str]:
        stored = await self.pipeline.store.read_all(GlobalPosition.start())
        return [s.envelope.event_type for s in stored]

    async def open_path(self, start: date = START, today: date = TODAY) -> UUID:
        pathway_id = uuid4()
        self.paths.opened(pathway_id)
        await self.policies.start_plan_for(
            opened(pathway_id, start), system(f"start-plan:{pathway_id}"), today
        )
        return pathway_id

    async def plan(self, pathway_id: UUID) -> Plan:
        return await self.queries.visible_plan(pathway_id, COUNSELOR)


@pytest.fixture
def world() -> World:
    return World()


def opened(pathway_id: UUID, start: date) -> PathwayOpened:
    # The contract's own example, so that this test follows the event's shape as it changes.
    extra: Any = PathwayOpened.model_config.get("json_schema_extra")
    example = dict(extra["examples"][0])
    example.update(
        pathway_id=str(pathway_id),
        client_ref=CLIENT.client_ref,
        start_date=start.isoformat(),
        counselor_ids=[COUNSELOR.subject],
    )
    return PathwayOpened.model_validate(example)


def system(key: str | None = None) -> CommandContext:
    return CommandContext(
        actor=Actor(role="system", id="tasks"),
        tenant=TENANT,
        correlation_id=uuid4(),
        idempotency_key=key,
    )


def by(
    who: Principal, key: str | None = None, fingerprint: str = "f", expected: int | None = None
) -> CommandContext:
    return CommandContext(
        actor=Actor(role=who.role, id=who.client_ref or who.subject),
        tenant=TENANT,
        correlation_id=uuid4(),
        idempotency_key=key,
        fingerprint=fingerprint if key else None,
        expected_version=expected,
    )


async def answer(
    world: World, pathway_id: UUID, task_id: str = "w01-t1", key: str | None = None
) -> UUID:
    ran = await world.commands.answer(
        pathway_id, task_id, " Vastaus ", "answer", CLIENT, by(CLIENT, key), NOW, TODAY
    )
    return ran.value


async def end(world: World, pathway_id: UUID, on: date = TODAY) -> None:
    world.calendars.ended(pathway_id, on)
    await world.policies.reschedule(pathway_id, system())


# The plan's start and the calendar


async def test_a_new_path_gets_its_plan_once_with_the_weeks_already_due(world: World) -> None:
    pathway_id = await world.open_path()
    again = await world.policies.start_plan_for(
        opened(pathway_id, START), system(f"start-plan:{pathway_id}"), TODAY
    )
    assert again.replayed
    assert await world.events() == ["PlanStarted", "WeekOpened", "WeekOpened"]
    assert world.calendars.next_opening[pathway_id] == (3, START + timedelta(days=14))
    assert (await world.plan(pathway_id)).client_ref == CLIENT.client_ref


async def test_the_calendar_opens_a_due_week_once(world: World) -> None:
    pathway_id = await world.open_path()
    later = START + timedelta(days=15)
    assert await world.policies.open_due(pathway_id, later, system()) == 1
    assert await world.policies.open_due(pathway_id, later, system()) == 0
    assert (await world.plan(pathway_id)).opened_week == 3
    assert world.calendars.next_opening[pathway_id] == (4, START + timedelta(days=21))


async def test_an_ended_path_opens_no_more_weeks_and_its_plan_stops_on_the_day(
    world: World,
) -> None:
    pathway_id = await world.open_path()
    await end(world, pathway_id)
    much_later = START + timedelta(days=60)
    assert await world.policies.open_due(pathway_id, much_later, system()) == 0
    plan = await world.plan(pathway_id)
    assert plan.open_week(much_later) == 2
    assert plan.next_calendar_opening() is None
    assert pathway_id not in world.calendars.next_opening


async def test_a_pause_holds_the_next_opening_and_a_resume_moves_it(world: World) -> None:
    pathway_id = await world.open_path()
    world.calendars.paused(pathway_id, TODAY)
    await world.policies.reschedule(pathway_id, system())
    assert world.calendars.next_opening[pathway_id] is None
    world.calendars.resumed(pathway_id, TODAY + timedelta(days=3))
    await world.policies.reschedule(pathway_id, system())
    assert world.calendars.next_opening[pathway_id] == (3, START + timedelta(days=17))


# The client's commands


async def test_an_answer_keeps_its_text_and_a_retry_returns_the_first_answer(
    world: World,
) -> None:
    pathway_id = await world.open_path()
    await world.commands.save_draft(pathway_id, "w01-t1", "luonnos", CLIENT)
    first = await answer(world, pathway_id, key="k")
    retry = await world.commands.answer(
        pathway_id, "w01-t1", " Vastaus ", "answer", CLIENT, by(CLIENT, "k"), NOW, TODAY
    )
    assert retry.replayed and retry.value == first
    assert world.texts.answers == {first: "Vastaus"}
    assert world.texts.drafts == {}
    with pytest.raises(IdempotencyKeyReused):
        await world.commands.answer(
            pathway_id, "w01-t2", "Muu", "answer", CLIENT, by(CLIENT, "k", "other"), NOW, TODAY
        )
    assert (await world.events())[-2:] == ["TaskAnswered", "TaskCompleted"]


async def test_a_refused_answer_keeps_no_text(world: World) -> None:
    pathway_id = await world.open_path()
    with pytest.raises(DomainError) as refused:
        await world.commands.answer(
            pathway_id, "w01-t1", "  ", "answer", CLIENT, by(CLIENT), NOW, TODAY
        )
    assert refused.value.code == "tasks.answer_empty"
    assert world.texts.answers == {}


async def test_only_the_paths_own_client_answers(world: World) -> None:
    pathway_id = await world.open_path()
    for who in (OTHER_CLIENT, COUNSELOR, STRANGER):
        with pytest.raises(NotFound):
            await world.commands.answer(
                pathway_id, "w01-t1", "x", "answer", who, by(who), NOW, TODAY
            )
    with pytest.raises(NotFound):
        await world.commands.answer(
            uuid4(), "w01-t1", "x", "answer", CLIENT, by(CLIENT), NOW, TODAY
        )


async def test_an_answer_decided_on_an_old_version_is_refused(world: World) -> None:
    pathway_id = await world.open_path()
    version = (await world.plan(pathway_id)).version
    await answer(world, pathway_id)
    with pytest.raises(ConcurrencyConflict):
        await world.commands.answer(
            pathway_id,
            "w01-t2",
            "Toinen",
            "answer",
            CLIENT,
            by(CLIENT, expected=version),
            NOW,
            TODAY,
        )


async def test_a_meeting_held_completes_the_answered_task_once(world: World) -> None:
    pathway_id = await world.open_path()
    await answer(world, pathway_id, MEETING_TASK.task_id)
    assert MEETING_TASK.task_id not in (await world.plan(pathway_id)).completed
    held = GuidanceMeetingHeld(
        pathway_id=pathway_id,
        meeting_id=uuid4(),
        task_ids=[MEETING_TASK.task_id],
        held_at=NOW,
    )
    key = f"meeting-held:{held.meeting_id}"
    world.meetings.held_about(held)
    await world.policies.meeting_held(held, system(key))
    await world.policies.meeting_held(held, system(key))
    assert (await world.events()).count("TaskCompleted") == 1
    assert MEETING_TASK.task_id in (await world.plan(pathway_id)).completed


async def test_a_task_answered_after_its_meeting_completes_at_once(world: World) -> None:
    pathway_id = await world.open_path()
    held = GuidanceMeetingHeld(
        pathway_id=pathway_id, meeting_id=uuid4(), task_ids=[MEETING_TASK.task_id], held_at=NOW
    )
    world.meetings.held_about(held)
    await world.policies.meeting_held(held, system(f"meeting-held:{held.meeting_id}"))
    await answer(world, pathway_id, MEETING_TASK.task_id)
    assert MEETING_TASK.task_id in (await world.plan(pathway_id)).completed


async def test_the_counselor_opens_the_next_week_early(world: World) -> None:
    pathway_id = await world.open_path()
    opened_week = await world.commands.open_next(pathway_id, COUNSELOR, by(COUNSELOR, "o"), TODAY)
    assert opened_week.value == 3
    retry = await world.commands.open_next(pathway_id, COUNSELOR, by(COUNSELOR, "o"), TODAY)
    assert retry.replayed and retry.value == 3
    with pytest.raises(NotFound):
        await world.commands.open_next(pathway_id, CLIENT, by(CLIENT), TODAY)
    with pytest.raises(NotFound):
        await world.commands.open_next(pathway_id, STRANGER, by(STRANGER), TODAY)


# An ended path (decision 0018)


async def test_an_ended_path_takes_no_answer_draft_or_direction(world: World) -> None:
    pathway_id = await world.open_path(start=START - timedelta(days=35))
    await end(world, pathway_id)
    before = await world.events()
    refusals = [
        world.commands.answer(pathway_id, "w01-t1", "x", "answer", CLIENT, by(CLIENT), NOW, TODAY),
        world.commands.save_draft(pathway_id, "w01-t1", "luonnos", CLIENT),
        world.commands.choose(pathway_id, "work", "", CLIENT, by(CLIENT), NOW, TODAY),
        world.commands.open_next(pathway_id, COUNSELOR, by(COUNSELOR), TODAY),
        world.commands.self_assess(
            pathway_id, "baseline", full_scores(), CLIENT, by(CLIENT), NOW, TODAY
        ),
    ]
    for refusal in refusals:
        with pytest.raises(Conflict) as refused:
            await refusal
        assert refused.value.code == "tasks.path_ended"
        assert refused.value.params == {"ended_on": f"{TODAY.day}.{TODAY.month}.{TODAY.year}"}
    assert await world.events() == before
    assert world.texts.drafts == {} and world.texts.answers == {}


async def test_an_ended_path_takes_no_change_of_direction(world: World) -> None:
    pathway_id = await world.open_path(start=START - timedelta(days=35))
    await world.commands.choose(pathway_id, "work", "syy", CLIENT, by(CLIENT), NOW, TODAY)
    await end(world, pathway_id)
    with pytest.raises(Conflict):
        await world.commands.change_direction(
            pathway_id, "education", COUNSELOR, by(COUNSELOR), NOW
        )


async def test_a_completed_path_still_takes_the_final_self_assessment(world: World) -> None:
    start = TODAY - timedelta(days=7 * (WEEKS - 1))
    pathway_id = await world.open_path(start=start)
    await end(world, pathway_id)
    ran = await world.commands.self_assess(
        pathway_id, "final", full_scores(), CLIENT, by(CLIENT), NOW, TODAY
    )
    assert not ran.replayed
    assert (await world.events())[-1] == "SelfAssessmentSubmitted"


async def test_a_path_ended_before_the_last_week_takes_no_final_self_assessment(
    world: World,
) -> None:
    pathway_id = await world.open_path()
    await end(world, pathway_id)
    with pytest.raises(Conflict):
        await world.commands.self_assess(
            pathway_id, "final", full_scores(), CLIENT, by(CLIENT), NOW, TODAY + timedelta(90)
        )


async def test_a_paused_path_still_takes_answers_to_open_weeks(world: World) -> None:
    pathway_id = await world.open_path()
    world.calendars.paused(pathway_id, TODAY)
    await world.policies.reschedule(pathway_id, system())
    await world.commands.save_draft(pathway_id, "w02-t1", "luonnos", CLIENT)
    await answer(world, pathway_id, "w02-t1")
    assert "w02-t1" in (await world.plan(pathway_id)).answered


def full_scores() -> dict[str, dict[str, int]]:
    return {
        instrument_id: dict.fromkeys(instrument.item_ids, 2)
        for instrument_id, instrument in load_instruments().items()
    }


async def test_a_path_whose_plan_has_not_started_yet_is_not_found_yet(world: World) -> None:
    """Enrolment's opening reached tasks' access projection, but the policy that starts the
    plan has not run yet (a moment later, or after an outage): the plan is not found, and an
    answer is refused the same way, rather than failing on a plan without a curriculum (the
    fault suite found a 500 here)."""
    pathway_id = uuid4()
    world.paths.opened(pathway_id)
    with pytest.raises(NotFound):
        await world.plan(pathway_id)
    with pytest.raises(NotFound):
        await answer(world, pathway_id)
    await world.policies.start_plan_for(
        opened(pathway_id, START), system(f"start-plan:{pathway_id}"), TODAY
    )
    assert (await world.plan(pathway_id)).started
