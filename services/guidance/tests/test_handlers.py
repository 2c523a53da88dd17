"""Guidance's command handlers without HTTP or a database: the pipeline on the in-memory
store, the caseload's facts and the free texts in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from chassis.auth import Principal
from chassis.errors import Conflict, DomainError, NotFound
from chassis.event_store import ConcurrencyConflict, GlobalPosition, IdempotencyKeyReused
from chassis.memory_store import InMemoryEventStore
from chassis.streams import CommandContext
from chassis.unit_of_work import CommandPipeline, UnitOfWork
from contracts.envelope import Actor
from services.guidance.adapters.answers_projection import SeenAnswer
from services.guidance.adapters.meeting_notes import StoredNote
from services.guidance.adapters.path_access import PathAccess
from services.guidance.application.feedback_handlers import FeedbackCommands
from services.guidance.application.handlers import MeetingCommands
from services.guidance.application.note_handlers import NoteCommands
from services.guidance.application.outcome_handlers import OutcomeCommands
from services.guidance.application.ports import NewFeedback, NewNote
from services.guidance.domain.references import CurriculumTasks

NOW = datetime(2026, 12, 8, 9, tzinfo=UTC)
START = date(2026, 11, 30)
TENANT = "kanta-hame"
COUNSELOR = Principal(subject="ohjaaja-1", role="counselor", tenant=TENANT)
STRANGER = Principal(subject="ohjaaja-2", role="counselor", tenant=TENANT)
CLIENT = Principal(subject="asiakas", role="client", tenant=TENANT, client_ref="ref-1")
CURRICULA = CurriculumTasks({"1": frozenset({"w01-t1", "w02-t1"}), "2": frozenset({"w01-x"})})


class MemoryPaths:
    def __init__(self) -> None:
        self.paths: dict[UUID, PathAccess] = {}

    def open(self, version: str | None = "1", ended_on: date | None = None) -> UUID:
        pathway_id = uuid4()
        self.paths[pathway_id] = PathAccess(
            pathway_id, TENANT, "ref-1", (COUNSELOR.subject,), START, ended_on, version
        )
        return pathway_id

    async def find(self, pathway_id: UUID) -> PathAccess | None:
        return self.paths.get(pathway_id)


class MemoryAnswers:
    def __init__(self) -> None:
        self.answers: dict[UUID, SeenAnswer] = {}

    async def seen(self, pathway_id: UUID, answer_id: UUID) -> SeenAnswer | None:
        return self.answers.get(answer_id)


@dataclass
class MemoryTexts:
    erased: set[UUID] = field(default_factory=set)
    feedback: list[NewFeedback] = field(default_factory=list)
    notes: dict[str, tuple[str | None, NewNote]] = field(default_factory=dict)

    async def refuse_if_erased(self, work: UnitOfWork, pathway_id: UUID) -> None:
        if pathway_id in self.erased:
            raise Conflict("guidance.client_erased")

    async def keep_feedback(self, work: UnitOfWork, feedback: NewFeedback) -> None:
        self.feedback.append(feedback)

    async def keep_note(self, work: UnitOfWork, note: NewNote) -> StoredNote:
        key = work.context.idempotency_key or str(note.note_id)
        fingerprint, kept = self.notes.setdefault(key, (work.context.fingerprint, note))
        if kept is not note and fingerprint != work.context.fingerprint:
            raise IdempotencyKeyReused()
        return StoredNote(kept.note_id, replayed=kept is not note)


@dataclass
class World:
    pipeline: CommandPipeline
    paths: MemoryPaths
    answers: MemoryAnswers
    texts: MemoryTexts

    @property
    def meetings(self) -> MeetingCommands:
        return MeetingCommands(self.pipeline, self.paths, CURRICULA)

    @property
    def feedback(self) -> FeedbackCommands:
        return FeedbackCommands(self.pipeline, self.paths, self.answers, self.texts)

    @property
    def notes(self) -> NoteCommands:
        return NoteCommands(self.pipeline, self.paths, self.texts)

    @property
    def outcomes(self) -> OutcomeCommands:
        return OutcomeCommands(self.pipeline, self.paths)

    async def events(self) -> list[str]:
        stored = await self.pipeline.store.read_all(GlobalPosition.start())
        return [s.envelope.event_type for s in stored]


@pytest.fixture
def world() -> World:
    return World(
        CommandPipeline.in_memory(InMemoryEventStore()),
        MemoryPaths(),
        MemoryAnswers(),
        MemoryTexts(),
    )


def context(
    key: str | None = None,
    fingerprint: str = "f",
    expected: int | None = None,
    who: Principal = COUNSELOR,
) -> CommandContext:
    return CommandContext(
        actor=Actor(role=who.role, id=who.client_ref or who.subject),
        tenant=TENANT,
        correlation_id=uuid4(),
        idempotency_key=key,
        fingerprint=fingerprint if key else None,
        expected_version=expected,
    )


async def test_a_client_asks_for_a_meeting_about_a_task_of_their_curriculum(world: World) -> None:
    path = world.paths.open()
    ran = await world.meetings.request(path, "w01-t1", CLIENT, context(who=CLIENT), NOW)
    assert ran.value.recorded and not ran.replayed
    again = await world.meetings.request(path, "w01-t1", COUNSELOR, context(), NOW)
    assert again.value.meeting_id == ran.value.meeting_id and not again.value.recorded
    assert await world.events() == ["GuidanceMeetingRequested"]


@pytest.mark.parametrize("task_id", ["w99-t9", "w01-x", "w01-t1\u0000", "x" * 500])
async def test_a_meeting_about_a_task_not_in_the_paths_curriculum_is_refused(
    world: World, task_id: str
) -> None:
    path = world.paths.open("1")
    with pytest.raises(DomainError) as refused:
        await world.meetings.request(path, task_id, CLIENT, context(who=CLIENT), NOW)
    assert refused.value.code == "guidance.unknown_task"
    assert len(str(refused.value.params["task"])) <= 64
    assert await world.events() == []


async def test_before_the_plan_reaches_guidance_any_published_curriculums_task_will_do(
    world: World,
) -> None:
    path = world.paths.open(version=None)
    await world.meetings.request(path, "w01-x", CLIENT, context(who=CLIENT), NOW)
    with pytest.raises(DomainError):
        await world.meetings.request(path, "w99-t9", CLIENT, context(who=CLIENT), NOW)


async def test_a_retried_request_returns_the_first_meeting(world: World) -> None:
    path = world.paths.open()
    first = await world.meetings.request(path, None, CLIENT, context("k", who=CLIENT), NOW)
    retry = await world.meetings.request(path, None, CLIENT, context("k", who=CLIENT), NOW)
    assert retry.replayed and retry.value.meeting_id == first.value.meeting_id
    with pytest.raises(IdempotencyKeyReused):
        await world.meetings.request(path, "w01-t1", CLIENT, context("k", "other", who=CLIENT), NOW)
    assert await world.events() == ["GuidanceMeetingRequested"]


async def test_a_stranger_cannot_ask_for_a_meeting_on_a_path(world: World) -> None:
    path = world.paths.open()
    with pytest.raises(NotFound):
        await world.meetings.request(path, None, STRANGER, context(who=STRANGER), NOW)
    with pytest.raises(NotFound):
        await world.meetings.request(uuid4(), None, COUNSELOR, context(), NOW)


async def test_a_meeting_is_scheduled_in_helsinki_time_with_its_tasks_checked(
    world: World,
) -> None:
    path = world.paths.open()
    meeting_id = uuid4()
    naive = datetime(2026, 12, 10, 10)
    await world.meetings.schedule(
        path, meeting_id, naive, "phone", ["w01-t1", "w01-t1"], COUNSELOR, context(), NOW
    )
    read = await world.pipeline.load(str(path))
    scheduled = read.events[0]
    assert scheduled.starts_at.isoformat() == "2026-12-10T10:00:00+02:00"  # type: ignore[attr-defined]
    assert scheduled.task_ids == ["w01-t1"]  # type: ignore[attr-defined]
    with pytest.raises(DomainError) as refused:
        await world.meetings.schedule(
            path, meeting_id, naive, "phone", ["w01-t1", "bogus"], COUNSELOR, context(), NOW
        )
    assert refused.value.code == "guidance.unknown_task"


@pytest.mark.parametrize(
    ("starts_at", "code"),
    [
        ("0073-01-01T10:00:00+19:38", "guidance.meeting_time_offset"),
        ("2026-12-10T10:00:00+02:07", "guidance.meeting_time_offset"),
        ("0073-01-01T10:00:00", "guidance.meeting_time_before_start"),
        ("2026-11-29T23:00:00+02:00", "guidance.meeting_time_before_start"),
        ("0001-01-01T00:00:00+14:00", "guidance.meeting_time_before_start"),
        ("2028-01-01T10:00:00", "guidance.meeting_time_too_late"),
        ("9999-12-31T23:59:00-12:00", "guidance.meeting_time_too_late"),
    ],
)
async def test_a_meeting_time_out_of_bounds_is_refused(
    world: World, starts_at: str, code: str
) -> None:
    path = world.paths.open()
    with pytest.raises(DomainError) as refused:
        await world.meetings.schedule(
            path, uuid4(), datetime.fromisoformat(starts_at), "phone", [], COUNSELOR, context(), NOW
        )
    assert refused.value.code == code
    assert await world.events() == []


async def test_a_real_offset_is_kept_as_the_same_instant_in_helsinki(world: World) -> None:
    path = world.paths.open()
    when = datetime.fromisoformat("2026-12-10T10:00:00+05:45")
    await world.meetings.schedule(path, uuid4(), when, "video", [], COUNSELOR, context(), NOW)
    scheduled = (await world.pipeline.load(str(path))).events[0]
    assert scheduled.starts_at == when  # type: ignore[attr-defined]
    assert scheduled.starts_at.isoformat() == "2026-12-10T06:15:00+02:00"  # type: ignore[attr-defined]


async def test_holding_a_meeting_decided_on_an_old_version_is_a_conflict(world: World) -> None:
    path = world.paths.open()
    meeting_id = uuid4()
    when = datetime(2026, 12, 10, 10)
    await world.meetings.schedule(path, meeting_id, when, "phone", [], COUNSELOR, context(), NOW)
    await world.meetings.schedule(path, meeting_id, when, "video", [], COUNSELOR, context(), NOW)
    with pytest.raises(ConcurrencyConflict):
        await world.meetings.held(path, meeting_id, True, NOW, COUNSELOR, context(expected=1))
    await world.meetings.held(path, meeting_id, True, NOW, COUNSELOR, context("h", expected=2))
    retry = await world.meetings.held(path, meeting_id, True, NOW, COUNSELOR, context("h"))
    assert retry.replayed
    assert await world.events() == [
        "GuidanceMeetingScheduled",
        "GuidanceMeetingScheduled",
        "GuidanceMeetingHeld",
    ]


async def test_feedback_is_kept_with_its_event_and_a_retry_gets_the_first_id(
    world: World,
) -> None:
    path = world.paths.open()
    answer_id = uuid4()
    world.answers.answers[answer_id] = SeenAnswer(answer_id, erased=False)
    first = await world.feedback.give(path, answer_id, " Hyvä! ", COUNSELOR, context("k"), NOW)
    retry = await world.feedback.give(path, answer_id, " Hyvä! ", COUNSELOR, context("k"), NOW)
    assert retry.replayed and retry.value == first.value
    assert [(f.feedback_id, f.body) for f in world.texts.feedback] == [(first.value, "Hyvä!")]
    assert await world.events() == ["FeedbackGiven"]


async def test_feedback_for_an_erased_client_keeps_neither_text_nor_event(world: World) -> None:
    path = world.paths.open()
    answer_id = uuid4()
    world.answers.answers[answer_id] = SeenAnswer(answer_id, erased=False)
    world.texts.erased.add(path)
    with pytest.raises(Conflict):
        await world.feedback.give(path, answer_id, "Hyvä", COUNSELOR, context(), NOW)
    with pytest.raises(NotFound):
        await world.feedback.give(path, uuid4(), "Hyvä", COUNSELOR, context(), NOW)
    assert world.texts.feedback == [] and await world.events() == []


async def test_a_note_needs_the_meeting_and_a_retry_keeps_one_note(world: World) -> None:
    path = world.paths.open()
    with pytest.raises(NotFound):
        await world.notes.write(path, uuid4(), "Muistiin", COUNSELOR, context("n0"), NOW)
    requested = await world.meetings.request(path, None, COUNSELOR, context(), NOW)
    meeting_id = requested.value.meeting_id
    first = await world.notes.write(path, meeting_id, " Muistiin ", COUNSELOR, context("n"), NOW)
    retry = await world.notes.write(path, meeting_id, " Muistiin ", COUNSELOR, context("n"), NOW)
    assert not first.value.replayed and retry.value.replayed
    assert retry.value.note_id == first.value.note_id
    with pytest.raises(IdempotencyKeyReused):
        await world.notes.write(path, meeting_id, "Toinen", COUNSELOR, context("n", "g"), NOW)
    assert [kept.body for _, kept in world.texts.notes.values()] == ["Muistiin"]


async def test_an_outcome_once_per_follow_up_and_a_retry_returns_it(world: World) -> None:
    path = world.paths.open(ended_on=date(2026, 12, 4))
    today = date(2026, 12, 8)
    first = await world.outcomes.record(
        path, "end", "studies", today, COUNSELOR, context("o"), NOW, today
    )
    retry = await world.outcomes.record(
        path, "end", "studies", today, COUNSELOR, context("o"), NOW, today
    )
    assert retry.replayed and retry.value == first.value
    with pytest.raises(Conflict):
        await world.outcomes.record(
            path, "end", "employed", today, COUNSELOR, context(), NOW, today
        )
    assert await world.events() == ["OutcomeRecorded"]
