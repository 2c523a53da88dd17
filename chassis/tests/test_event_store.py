"""The event store's behaviour: one suite for every backend (`any_store`), and the
PostgreSQL-only part that needs real transactions (slow commits, rollbacks)."""

from __future__ import annotations

import asyncio
import random
from uuid import UUID

import asyncpg
import pytest

from chassis.event_store import (
    ConcurrencyConflict,
    EventStore,
    GlobalPosition,
    PostgresEventStore,
    StoredEvent,
)
from chassis.tests.factories import envelope
from contracts.events.enrolment import PathwayOpened
from contracts.registry import parse_payload


async def read_everything(store: EventStore) -> list[StoredEvent]:
    return await store.read_all(GlobalPosition.start(), limit=1_000_000)


async def test_append_numbers_the_stream_and_reads_it_back(any_store: EventStore) -> None:
    result = await any_store.append(
        [envelope("s1", payload={"n": 1}), envelope("s1", payload={"n": 2})], expected_version=0
    )
    assert (result.first_version, result.last_version, result.replayed) == (1, 2, False)
    events = await any_store.read_stream("s1")
    assert [e.envelope.stream_version for e in events] == [1, 2]
    assert [e.envelope.payload for e in events] == [{"n": 1}, {"n": 2}]
    assert await any_store.stream_version("s1") == 2


async def test_stale_expected_version_is_a_conflict_and_stores_nothing(
    any_store: EventStore,
) -> None:
    await any_store.append([envelope("s1")], expected_version=0)
    with pytest.raises(ConcurrencyConflict) as raised:
        await any_store.append([envelope("s1"), envelope("s1")], expected_version=0)
    assert raised.value.actual == 1
    with pytest.raises(ConcurrencyConflict):
        await any_store.append([envelope("s1")], expected_version=5)
    assert await any_store.stream_version("s1") == 1


async def test_racing_appends_at_the_same_version_let_exactly_one_win(
    any_store: EventStore,
) -> None:
    outcomes = await asyncio.gather(
        *(any_store.append([envelope("race")], expected_version=0) for _ in range(8)),
        return_exceptions=True,
    )
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(o, ConcurrencyConflict) for o in outcomes if o not in winners)
    assert await any_store.stream_version("race") == 1


async def test_idempotency_key_makes_a_retry_return_the_first_result(
    any_store: EventStore,
) -> None:
    first = await any_store.append(
        [envelope("s1"), envelope("s1")], expected_version=0, idempotency_key="open-1"
    )
    assert not first.replayed
    # The retry even names another stream (a command that generates a new id per attempt).
    retry = await any_store.append([envelope("s2")], expected_version=0, idempotency_key="open-1")
    assert retry.replayed
    assert (retry.stream_id, retry.first_version, retry.last_version) == ("s1", 1, 2)
    assert len(await read_everything(any_store)) == 2


async def test_concurrent_retries_with_one_key_store_once(any_store: EventStore) -> None:
    results = await asyncio.gather(
        *(
            any_store.append([envelope(f"s{i}")], expected_version=0, idempotency_key="k")
            for i in range(6)
        )
    )
    assert sum(not r.replayed for r in results) == 1
    assert len({(r.stream_id, r.last_version) for r in results}) == 1
    assert len(await read_everything(any_store)) == 1


async def test_a_failed_append_leaves_no_idempotency_key_behind(
    any_store: EventStore,
) -> None:
    await any_store.append([envelope("s1")], expected_version=0)
    with pytest.raises(ConcurrencyConflict):
        await any_store.append([envelope("s1")], expected_version=0, idempotency_key="k")
    retried = await any_store.append([envelope("s1")], expected_version=1, idempotency_key="k")
    assert not retried.replayed and retried.last_version == 2


async def test_append_inside_a_rolled_back_transaction_leaves_nothing(
    store: PostgresEventStore, pool: asyncpg.Pool
) -> None:
    async with pool.acquire() as connection:
        with pytest.raises(RuntimeError):
            async with connection.transaction():
                await store.append([envelope("s1")], expected_version=0, connection=connection)
                raise RuntimeError("the command failed after appending")
    assert await read_everything(store) == []


async def test_read_all_pages_in_global_order(any_store: EventStore) -> None:
    for i in range(25):
        await any_store.append([envelope(f"s{i % 3}", payload={"i": i})], expected_version=None)
    seen: list[int] = []
    position = GlobalPosition.start()
    while page := await any_store.read_all(position, limit=7):
        seen += [e.envelope.payload["i"] for e in page]
        position = page[-1].position
    assert seen == list(range(25))


async def test_a_slow_commit_is_not_skipped_by_a_reader_following_positions(
    store: PostgresEventStore, pool: asyncpg.Pool
) -> None:
    """The race a plain position cursor loses: a low position commits after a high one."""
    slow_has_appended = asyncio.Event()
    release_slow = asyncio.Event()

    async def slow_writer() -> None:
        async with pool.acquire() as connection, connection.transaction():
            await store.append([envelope("slow")], expected_version=0, connection=connection)
            slow_has_appended.set()
            await release_slow.wait()

    slow = asyncio.create_task(slow_writer())
    try:
        await slow_has_appended.wait()
        await store.append([envelope("fast")], expected_version=0)  # higher position

        # While the slow transaction is open the reader must not move past it.
        assert await read_everything(store) == []
    finally:
        release_slow.set()
        await slow
    seen = await read_everything(store)
    assert [e.envelope.stream_id for e in seen] == ["slow", "fast"]
    # A naive reader ordered by position alone would already have passed "fast" and
    # therefore skipped "slow"; show that the positions were indeed inverted.
    assert seen[0].position.position < seen[1].position.position


async def test_concurrent_writers_with_slow_commits_and_rollbacks_skip_nothing(
    store: PostgresEventStore, pool: asyncpg.Pool
) -> None:
    """Many writers, some committing late and some rolling back, while a reader follows.

    The reader must end with exactly the committed events: none skipped, none phantom,
    none twice, each stream in version order.
    """
    rng = random.Random(20261124)
    committed: set[UUID] = set()
    rolled_back: set[UUID] = set()
    writers_done = asyncio.Event()

    async def writer(number: int) -> None:
        for i in range(40):
            batch = [envelope(f"w{number}-{i}") for _ in range(rng.randint(1, 3))]
            delay = rng.choice([0, 0, 0, 0.001, 0.01, 0.03])
            fail = rng.random() < 0.15
            async with pool.acquire() as connection:
                try:
                    async with connection.transaction():
                        await store.append(batch, expected_version=0, connection=connection)
                        await asyncio.sleep(delay)
                        if fail:
                            raise RuntimeError("roll back")
                except RuntimeError:
                    rolled_back.update(e.event_id for e in batch)
                else:
                    committed.update(e.event_id for e in batch)

    async def reader() -> list[StoredEvent]:
        seen: list[StoredEvent] = []
        position = GlobalPosition.start()
        while True:
            finished = writers_done.is_set()
            page = await store.read_all(position, limit=50)
            if page:
                seen += page
                position = page[-1].position
            elif finished:
                return seen
            else:
                await asyncio.sleep(0.001)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(n) for n in range(10)))
    writers_done.set()
    seen = await reading

    seen_ids = [e.envelope.event_id for e in seen]
    assert len(seen_ids) == len(set(seen_ids)), "an event was read twice"
    assert set(seen_ids) - committed == set(), "phantom events (rolled back) were read"
    assert committed - set(seen_ids) == set(), "committed events were skipped"
    assert rolled_back and committed
    positions = [e.position for e in seen]
    assert positions == sorted(positions)


async def test_an_old_event_version_is_upcast_on_read(any_store: EventStore) -> None:
    """A real PathwayOpened v1 (one counselor, no cohort) reads back as v2."""
    v1 = {
        "pathway_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "client_ref": "c-1",
        "municipality": "Forssa",
        "unit": "KTT",
        "start_date": "2026-11-30",
        "counselor_id": "staff-1",
        "suitability_confirmed": dict.fromkeys(
            [
                "life_management",
                "digital_skills",
                "self_assessment_ability",
                "strong_identification",
            ],
            True,
        ),
    }
    old = envelope("p1", event_type="PathwayOpened", payload=v1, schema_version=1)
    await any_store.append([old], expected_version=0)
    for read in (await any_store.read_stream("p1"), await read_everything(any_store)):
        upcast = read[0].envelope
        assert upcast.schema_version == 2
        assert upcast.payload["counselor_ids"] == ["staff-1"]
        assert "counselor_id" not in upcast.payload
        assert isinstance(parse_payload(upcast), PathwayOpened)
