"""The command pipeline: idempotency with fingerprints, one transaction, If-Match, races.

The behaviour every handler relies on runs here against both stores; what needs real
transactions (rollback, a retry racing its first attempt) runs against PostgreSQL.
"""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

import asyncpg
import pytest

from chassis.event_store import (
    AppendResult,
    ConcurrencyConflict,
    DbConnection,
    EventStore,
    GlobalPosition,
    IdempotencyKeyReused,
    PostgresEventStore,
)
from chassis.memory_store import InMemoryEventStore
from chassis.projector import Projection, Projector
from chassis.rebuild import rebuild_from_store
from chassis.streams import CommandContext
from chassis.unit_of_work import CommandPipeline, Handler, InlineProjection, UnitOfWork
from contracts.envelope import Actor, EventEnvelope
from contracts.events.enrolment import CounselorAssigned

PATH = UUID("0193a000-0000-7000-8000-000000000001")


def context(
    key: str | None = None, fingerprint: str | None = None, expected: int | None = None
) -> CommandContext:
    return CommandContext(
        actor=Actor(role="counselor", id="ohjaaja-1"),
        tenant="kanta-hame",
        correlation_id=uuid4(),
        idempotency_key=key,
        fingerprint=fingerprint,
        expected_version=expected,
    )


def assign(counselor: str) -> CounselorAssigned:
    return CounselorAssigned(pathway_id=PATH, counselor_id=counselor)


async def add_counselor(work: UnitOfWork, counselor: str) -> int:
    """A handler: load the path's stream, decide one event, append it."""
    stream = await work.load(str(PATH))
    await work.append(str(PATH), stream.version, [assign(counselor)])
    return stream.version + 1


async def version_at(recorded: AppendResult) -> int:
    return recorded.last_version


@pytest.fixture(params=["postgres", "memory"])
def pipeline(request: pytest.FixtureRequest) -> CommandPipeline:
    if request.param == "memory":
        return CommandPipeline.in_memory(InMemoryEventStore())
    pool: asyncpg.Pool = request.getfixturevalue("pool")
    return CommandPipeline.on_postgres(PostgresEventStore(pool), pool)


async def all_events(store: EventStore) -> list[str]:
    stored = await store.read_all(GlobalPosition.start())
    return [s.envelope.payload["counselor_id"] for s in stored]


async def test_a_command_is_decided_and_recorded(pipeline: CommandPipeline) -> None:
    ran = await pipeline.run(context(), lambda work: add_counselor(work, "a"), version_at)
    assert (ran.value, ran.replayed) == (1, False)
    assert await all_events(pipeline.store) == ["a"]


async def test_a_retry_gets_the_first_result_and_decides_nothing(
    pipeline: CommandPipeline,
) -> None:
    first = await pipeline.run(context("k", "f1"), lambda w: add_counselor(w, "a"), version_at)
    await pipeline.run(context(), lambda w: add_counselor(w, "b"), version_at)
    retry = await pipeline.run(context("k", "f1"), lambda w: add_counselor(w, "a"), version_at)
    assert (retry.value, retry.replayed) == (first.value, True)
    assert await all_events(pipeline.store) == ["a", "b"]


async def test_the_same_key_with_another_command_is_refused(pipeline: CommandPipeline) -> None:
    await pipeline.run(context("k", "f1"), lambda w: add_counselor(w, "a"), version_at)
    with pytest.raises(IdempotencyKeyReused):
        await pipeline.run(context("k", "f2"), lambda w: add_counselor(w, "b"), version_at)
    assert await all_events(pipeline.store) == ["a"]


async def test_a_stale_if_match_is_a_conflict_and_records_nothing(pool: asyncpg.Pool) -> None:
    pipeline = CommandPipeline.on_postgres(PostgresEventStore(pool), pool)
    await pipeline.run(context(), lambda w: add_counselor(w, "a"), version_at)
    with pytest.raises(ConcurrencyConflict):
        await pipeline.run(context(expected=0), lambda w: add_counselor(w, "b"), version_at)
    assert await all_events(pipeline.store) == ["a"]
    ran = await pipeline.run(context(expected=1), lambda w: add_counselor(w, "b"), version_at)
    assert ran.value == 2


async def test_deciding_nothing_appends_nothing(pipeline: CommandPipeline) -> None:
    async def nothing(work: UnitOfWork) -> None:
        stream = await work.load(str(PATH))
        assert await work.append(str(PATH), stream.version, []) is None

    async def no_replay(recorded: AppendResult) -> None:
        raise AssertionError("nothing was recorded, so nothing replays")

    await pipeline.run(context("k", "f"), nothing, no_replay)
    assert await all_events(pipeline.store) == []


async def test_a_failing_handler_rolls_back_its_events_and_tables(pool: asyncpg.Pool) -> None:
    await pool.execute("CREATE TABLE side (n int)")
    pipeline = CommandPipeline.on_postgres(PostgresEventStore(pool), pool)

    async def handler(work: UnitOfWork) -> int:
        await add_counselor(work, "a")
        await work.connection.execute("INSERT INTO side VALUES (1)")
        raise RuntimeError("the decision's side table failed")

    with pytest.raises(RuntimeError):
        await pipeline.run(context("k", "f"), handler, version_at)
    assert await all_events(pipeline.store) == []
    assert await pool.fetchval("SELECT count(*) FROM side") == 0
    # The key was rolled back too: the retry runs the command.
    ran = await pipeline.run(context("k", "f"), lambda w: add_counselor(w, "a"), version_at)
    assert not ran.replayed


async def test_a_retry_racing_its_first_attempt_gets_the_first_result(pool: asyncpg.Pool) -> None:
    """Both attempts decide before either commits; the store makes the second wait on the key,
    and the pipeline answers it from the first attempt's record and rolls back its tables."""
    await pool.execute("CREATE TABLE side (who text)")
    pipeline = CommandPipeline.on_postgres(PostgresEventStore(pool), pool)
    both_decided = asyncio.Barrier(2)

    def handler(who: str) -> Handler[str]:
        async def handle(work: UnitOfWork) -> str:
            await work.load(str(PATH))
            await both_decided.wait()
            await work.connection.execute("INSERT INTO side VALUES ($1)", who)
            # Decided on version 0 by both: without the key, one would be a version conflict.
            await work.append(str(PATH), 0, [assign(who)])
            return who

        return handle

    async def first_counselor(recorded: AppendResult) -> str:
        stream = await pipeline.load(recorded.stream_id)
        event = stream.events[recorded.first_version - 1]
        assert isinstance(event, CounselorAssigned)
        return event.counselor_id

    results = await asyncio.gather(
        pipeline.run(context("k", "f"), handler("a"), first_counselor),
        pipeline.run(context("k", "f"), handler("b"), first_counselor),
    )
    assert sorted(r.replayed for r in results) == [False, True]
    assert results[0].value == results[1].value
    assert await all_events(pipeline.store) == [results[0].value]
    assert [r["who"] for r in await pool.fetch("SELECT who FROM side")] == [results[0].value]


async def count_counselor(connection: DbConnection, envelope: EventEnvelope) -> None:
    await connection.execute(
        "INSERT INTO counselors (who) VALUES ($1)", envelope.payload["counselor_id"]
    )


COUNSELORS = Projection(
    name="counselors", tables=["counselors"], handlers={"CounselorAssigned": count_counselor}
)


async def test_an_inline_read_model_commits_with_the_events_and_rebuilds_the_same(
    pool: asyncpg.Pool,
) -> None:
    await pool.execute("CREATE TABLE counselors (who text)")
    projector = Projector(pool, COUNSELORS)
    store = PostgresEventStore(pool)
    pipeline = CommandPipeline.on_postgres(
        store, pool, [InlineProjection("enrolment.events", projector)]
    )
    await pipeline.run(context(), lambda w: add_counselor(w, "a"), version_at)

    async def fails_after_appending(work: UnitOfWork) -> int:
        await add_counselor(work, "b")
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await pipeline.run(context(), fails_after_appending, version_at)
    await pipeline.run(context(), lambda w: add_counselor(w, "c"), version_at)

    async def rows() -> list[str]:
        return [r["who"] for r in await pool.fetch("SELECT who FROM counselors ORDER BY who")]

    assert await rows() == ["a", "c"]
    tracked = await pool.fetchval(
        "SELECT stream_version FROM projection_tracking WHERE projection = 'counselors'"
    )
    assert tracked == 2
    assert await rebuild_from_store(projector, store, "enrolment.events") == 2
    assert await rows() == ["a", "c"]


async def test_a_handler_that_raises_records_nothing(pipeline: CommandPipeline) -> None:
    async def fails_after_appending(work: UnitOfWork) -> int:
        await add_counselor(work, "a")
        raise RuntimeError("the decision failed half-way")

    with pytest.raises(RuntimeError):
        await pipeline.run(context("k", "f"), fails_after_appending, version_at)
    assert await all_events(pipeline.store) == []
