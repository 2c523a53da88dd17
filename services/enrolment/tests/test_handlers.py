"""Enrolment's command handlers without HTTP or a database: the pipeline on the in-memory
store, and the client records in memory."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from chassis.auth import Principal
from chassis.errors import Conflict, NotFound
from chassis.event_store import ConcurrencyConflict, GlobalPosition, IdempotencyKeyReused
from chassis.memory_store import InMemoryEventStore
from chassis.streams import CommandContext
from chassis.unit_of_work import CommandPipeline, UnitOfWork
from contracts.envelope import Actor
from services.enrolment.application.handlers import EnrolmentCommands, OpenedPath
from services.enrolment.domain.client_identity import ClientIdentity
from services.enrolment.domain.client_reference import new_client_ref
from services.enrolment.domain.commands import AssignCounselor, Complete, Pause
from services.enrolment.domain.pathway import SUITABILITY_CRITERIA, OpenPathway, PathOpening
from services.enrolment.domain.registry import UnknownReference

TODAY = date(2026, 12, 7)
COUNSELOR = Principal(subject="ohjaaja-1", role="counselor", tenant="kanta-hame")
STRANGER = Principal(subject="ohjaaja-2", role="counselor", tenant="kanta-hame")
IDENTITY = ClientIdentity("Aino", "Asiakas", "010185-200U")
ANOTHER = ClientIdentity("Eino", "Asiakas", "020285-2001")


class MemoryClientRecords:
    def __init__(self) -> None:
        self.refs: dict[tuple[str, str], str] = {}
        self.open_paths: dict[str, UUID] = {}
        self.identities: dict[str, ClientIdentity] = {}

    async def claim_reference(self, work: UnitOfWork, tenant: str, identity_code: str) -> str:
        return self.refs.setdefault((tenant, identity_code), new_client_ref())

    async def claim_open_path(self, work: UnitOfWork, client_ref: str, pathway_id: UUID) -> bool:
        return self.open_paths.setdefault(client_ref, pathway_id) == pathway_id

    async def release_open_path(self, work: UnitOfWork, pathway_id: UUID) -> None:
        self.open_paths = {c: p for c, p in self.open_paths.items() if p != pathway_id}

    async def keep_identity(
        self, work: UnitOfWork, tenant: str, client_ref: str, identity: ClientIdentity
    ) -> None:
        self.identities[client_ref] = identity


class MemoryReferences:
    """The tenant's registries: the counselors on staff; every place is known."""

    def __init__(self) -> None:
        self.staff = {COUNSELOR.subject, STRANGER.subject}

    async def remember_staff(self, work: UnitOfWork, principal: Principal) -> None:
        self.staff.add(principal.subject)

    async def check_opening(self, work: UnitOfWork, tenant: str, command: OpenPathway) -> None:
        for counselor_id in command.counselor_ids:
            await self.check_counselor(work, tenant, counselor_id)

    async def check_counselor(self, work: UnitOfWork, tenant: str, counselor_id: str) -> None:
        if counselor_id not in self.staff:
            raise UnknownReference("counselor_id", counselor_id)


@pytest.fixture
def records() -> MemoryClientRecords:
    return MemoryClientRecords()


@pytest.fixture
def commands(records: MemoryClientRecords) -> EnrolmentCommands:
    pipeline = CommandPipeline.in_memory(InMemoryEventStore())
    return EnrolmentCommands(pipeline, records, MemoryReferences())


def context(
    key: str | None = None, fingerprint: str = "f", expected: int | None = None
) -> CommandContext:
    return CommandContext(
        actor=Actor(role="counselor", id=COUNSELOR.subject),
        tenant="kanta-hame",
        correlation_id=uuid4(),
        idempotency_key=key,
        fingerprint=fingerprint if key else None,
        expected_version=expected,
    )


def opening() -> PathOpening:
    return PathOpening(
        pathway_id=uuid4(),
        municipality="061",
        unit="tyotoiminta",
        cohort="2026-syksy",
        start_date=TODAY,
        counselor_ids=[COUNSELOR.subject],
        suitability=dict.fromkeys(SUITABILITY_CRITERIA, True),
    )


async def events_in(commands: EnrolmentCommands) -> list[str]:
    stored = await commands.pipeline.store.read_all(GlobalPosition.start())
    return [s.envelope.event_type for s in stored]


async def test_opening_records_the_path_claims_it_and_keeps_the_identity(
    commands: EnrolmentCommands, records: MemoryClientRecords
) -> None:
    command = opening()
    ran = await commands.open(command, IDENTITY, COUNSELOR, context(), TODAY)
    client_ref = records.refs[("kanta-hame", IDENTITY.personal_identity_code)]
    assert (ran.value, ran.replayed) == (OpenedPath(command.pathway_id, client_ref), False)
    assert await events_in(commands) == ["PathwayOpened"]
    assert records.open_paths == {client_ref: command.pathway_id}
    assert records.identities[client_ref] == IDENTITY


async def test_a_retried_opening_returns_the_first_path_even_with_a_new_id(
    commands: EnrolmentCommands,
) -> None:
    first = await commands.open(opening(), IDENTITY, COUNSELOR, context("k"), TODAY)
    retry = await commands.open(opening(), IDENTITY, COUNSELOR, context("k"), TODAY)
    assert retry.replayed and retry.value == first.value
    assert await events_in(commands) == ["PathwayOpened"]


async def test_the_same_key_for_another_client_is_refused(commands: EnrolmentCommands) -> None:
    await commands.open(opening(), IDENTITY, COUNSELOR, context("k", "first"), TODAY)
    with pytest.raises(IdempotencyKeyReused):
        await commands.open(opening(), ANOTHER, COUNSELOR, context("k", "second"), TODAY)
    assert await events_in(commands) == ["PathwayOpened"]


async def test_a_second_open_path_for_a_client_is_refused_and_records_nothing(
    commands: EnrolmentCommands,
) -> None:
    await commands.open(opening(), IDENTITY, COUNSELOR, context(), TODAY)
    with pytest.raises(Conflict):
        await commands.open(opening(), IDENTITY, COUNSELOR, context(), TODAY)
    assert await events_in(commands) == ["PathwayOpened"]


async def test_completing_a_path_frees_the_client_for_a_new_one(
    commands: EnrolmentCommands, records: MemoryClientRecords
) -> None:
    first = await commands.open(opening(), IDENTITY, COUNSELOR, context(), TODAY)
    done = await commands.on_path(
        first.value.pathway_id, Complete(TODAY), COUNSELOR, context(), TODAY
    )
    assert done.value.status == "completed"
    assert records.open_paths == {}
    await commands.open(opening(), IDENTITY, COUNSELOR, context(), TODAY)
    assert await events_in(commands) == ["PathwayOpened", "PathwayCompleted", "PathwayOpened"]


async def test_a_path_is_invisible_to_a_counselor_not_on_it(commands: EnrolmentCommands) -> None:
    opened = await commands.open(opening(), IDENTITY, COUNSELOR, context(), TODAY)
    with pytest.raises(NotFound):
        await commands.on_path(
            opened.value.pathway_id, Pause(TODAY), STRANGER, context(expected=99), TODAY
        )
    added = AssignCounselor(STRANGER.subject)
    await commands.on_path(opened.value.pathway_id, added, COUNSELOR, context(), TODAY)
    paused = await commands.on_path(
        opened.value.pathway_id, Pause(TODAY), STRANGER, context(), TODAY
    )
    assert paused.value.status == "paused"


async def test_a_command_decided_on_an_old_version_is_a_conflict(
    commands: EnrolmentCommands,
) -> None:
    opened = await commands.open(opening(), IDENTITY, COUNSELOR, context(), TODAY)
    await commands.on_path(
        opened.value.pathway_id, Pause(TODAY), COUNSELOR, context(expected=1), TODAY
    )
    with pytest.raises(ConcurrencyConflict):
        await commands.on_path(
            opened.value.pathway_id, Complete(TODAY), COUNSELOR, context(expected=1), TODAY
        )
    assert await events_in(commands) == ["PathwayOpened", "PathwayPaused"]


async def test_only_a_counselor_on_staff_can_be_added_to_a_path(
    commands: EnrolmentCommands,
) -> None:
    opened = await commands.open(opening(), IDENTITY, COUNSELOR, context(), TODAY)
    with pytest.raises(UnknownReference):
        await commands.on_path(
            opened.value.pathway_id, AssignCounselor("kuka-tahansa"), COUNSELOR, context(), TODAY
        )
    assert await events_in(commands) == ["PathwayOpened"]
