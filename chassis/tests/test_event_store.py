"""The event store's contract, as one behavioural suite.

Part 1 runs against every backend through the parametrised `any_store` fixture (PostgreSQL and
in memory). Part 2 is marked `postgres_only`: those tests need what only a database has (a
transaction the caller can roll back, commits that finish in another order than they began,
a pool of concurrent connections), so the in-memory store, where every append commits at once,
has nothing to show there.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from uuid import UUID, uuid4

import asyncpg
import pytest

from chassis.event_store import (
    READ_ALL,
    ConcurrencyConflict,
    EventStore,
    GlobalPosition,
    IdempotencyKeyReused,
    PostgresEventStore,
    StoredEvent,
)
from chassis.outbox import READ_ALL as OUTBOX_READ_ALL
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


async def test_a_key_used_for_another_command_is_refused_and_stores_nothing(
    any_store: EventStore,
) -> None:
    await any_store.append(
        [envelope("s1")], expected_version=0, idempotency_key="k", fingerprint="a"
    )
    again = await any_store.append(
        [envelope("s9")], expected_version=0, idempotency_key="k", fingerprint="a"
    )
    assert again.replayed and again.stream_id == "s1"
    with pytest.raises(IdempotencyKeyReused):
        await any_store.append(
            [envelope("s2")], expected_version=0, idempotency_key="k", fingerprint="b"
        )
    assert [e.envelope.stream_id for e in await read_everything(any_store)] == ["s1"]
    recorded = await any_store.recorded_result("k")
    assert recorded is not None and recorded.fingerprint == "a"


async def test_read_all_pages_in_global_order(any_store: EventStore) -> None:
    for i in range(25):
        await any_store.append([envelope(f"s{i % 3}", payload={"i": i})], expected_version=None)
    seen: list[int] = []
    position = GlobalPosition.start()
    for _ in range(10):  # 4 pages hold everything; a reader that never ends fails below
        page = await any_store.read_all(position, limit=7)
        if not page:
            break
        assert all(later.position > position for later in page)
        seen += [e.envelope.payload["i"] for e in page]
        position = page[-1].position
    assert seen == list(range(25))


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


async def test_an_event_reads_back_as_appended_with_the_store_s_version(
    any_store: EventStore,
) -> None:
    sent = envelope("s1", payload={"n": 1, "nested": {"list": [1, 2]}})
    sent = sent.model_copy(update={"causation_id": uuid4(), "stream_version": 99})
    await any_store.append([sent], expected_version=0)
    expected = sent.model_copy(update={"stream_version": 1})
    assert [e.envelope for e in await any_store.read_stream("s1")] == [expected]
    assert [e.envelope for e in await read_everything(any_store)] == [expected]


async def test_an_append_needs_events_of_one_stream(any_store: EventStore) -> None:
    with pytest.raises(ValueError):
        await any_store.append([], expected_version=0)
    with pytest.raises(ValueError):
        await any_store.append([envelope("a"), envelope("b")], expected_version=0)
    assert await read_everything(any_store) == []


async def test_read_stream_after_a_version_and_unknown_streams(any_store: EventStore) -> None:
    await any_store.append([envelope("s1", payload={"n": n}) for n in range(4)], expected_version=0)
    await any_store.append([envelope("s2")], expected_version=0)
    later = await any_store.read_stream("s1", after_version=2)
    assert [(e.envelope.stream_version, e.envelope.payload["n"]) for e in later] == [(3, 2), (4, 3)]
    assert await any_store.read_stream("s1", after_version=4) == []
    assert await any_store.read_stream("nobody") == []
    assert await any_store.stream_version("nobody") == 0


async def test_recorded_result_tells_what_a_key_stored(any_store: EventStore) -> None:
    assert await any_store.recorded_result("k") is None
    first = await any_store.append(
        [envelope("s1"), envelope("s1")], expected_version=0, idempotency_key="k"
    )
    recorded = await any_store.recorded_result("k")
    assert recorded is not None
    assert (recorded.stream_id, recorded.first_version, recorded.last_version) == ("s1", 1, 2)
    assert recorded.replayed and not first.replayed


async def test_events_are_immutable_whatever_callers_do_with_their_copies(
    any_store: EventStore,
) -> None:
    sent = envelope("s1", payload={"n": 1, "tags": ["a"]})
    await any_store.append([sent], expected_version=0)
    sent.payload["n"] = 2
    sent.payload["tags"].append("changed after append")
    read = (await any_store.read_stream("s1"))[0].envelope
    read.payload["n"] = 3
    read.payload["tags"].append("changed after read")
    for again in (await any_store.read_stream("s1"), await read_everything(any_store)):
        assert again[0].envelope.payload == {"n": 1, "tags": ["a"]}


# Part 2: PostgreSQL only (see the module docstring).


@pytest.mark.postgres_only(reason="rolls back the caller's transaction around an append")
async def test_append_inside_a_rolled_back_transaction_leaves_nothing(
    store: PostgresEventStore, pool: asyncpg.Pool
) -> None:
    async with pool.acquire() as connection:
        with pytest.raises(RuntimeError):
            async with connection.transaction():
                await store.append([envelope("s1")], expected_version=0, connection=connection)
                raise RuntimeError("the command failed after appending")
    assert await read_everything(store) == []


@pytest.mark.postgres_only(reason="needs a transaction that commits after a later one")
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
        async with asyncio.timeout(10):
            await slow_has_appended.wait()
        await store.append([envelope("fast")], expected_version=0)  # higher position

        # While the slow transaction is open the reader must not move past it.
        assert await read_everything(store) == []
    finally:
        release_slow.set()
        async with asyncio.timeout(10):
            await slow
    seen = await read_everything(store)
    assert [e.envelope.stream_id for e in seen] == ["slow", "fast"]
    # A naive reader ordered by position alone would already have passed "fast" and
    # therefore skipped "slow"; show that the positions were indeed inverted.
    assert seen[0].position.position < seen[1].position.position


@pytest.mark.postgres_only(reason="needs concurrent connections, slow commits and rollbacks")
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
        deadline = asyncio.get_running_loop().time() + 30
        while asyncio.get_running_loop().time() < deadline:
            finished = writers_done.is_set()
            page = await store.read_all(position, limit=50)
            if page:
                seen += page
                position = page[-1].position
            elif finished:
                return seen
            else:
                await asyncio.sleep(0.001)
        raise AssertionError("the reader did not finish within 30 s")

    reading = asyncio.create_task(reader())
    async with asyncio.timeout(30):
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


@pytest.mark.postgres_only(reason="needs a transaction whose id is older than a later commit")
async def test_read_all_keeps_each_stream_in_version_order_whatever_the_transaction_ids(
    store: PostgresEventStore, pool: asyncpg.Pool
) -> None:
    """read_all orders by (tx_id, position). A command transaction that got its id early
    (it wrote something else first, or an idempotency key) and appends after a younger
    transaction committed to the same stream would land before that stream's earlier event."""
    async with pool.acquire() as older, older.transaction():
        await older.fetchval("SELECT pg_current_xact_id()")  # the command's transaction id
        await store.append([envelope("s")], expected_version=0)  # younger id, commits first
        # Refusing the append is a correct answer too: the command retries afresh.
        with contextlib.suppress(ConcurrencyConflict):
            await store.append([envelope("s")], expected_version=1, connection=older)
    versions = [e.envelope.stream_version for e in await read_everything(store)]
    assert versions in ([1], [1, 2])


@pytest.mark.parametrize("statement", [READ_ALL, OUTBOX_READ_ALL], ids=["events", "outbox"])
async def test_reading_in_commit_order_walks_the_index_and_sorts_nothing(
    pool: asyncpg.Pool, statement: str
) -> None:
    """The relays read their store in (tx_id, position) order a batch at a time; a plan that
    sorts reads every later row for each batch, which grows with the store (650 ms a batch
    at 2.6 million events). Told to avoid scans and sorts where it can (a small table would
    otherwise be sorted, rightly), the planner must take the order from the index, with no
    Sort above it, in the generic plan a pooled statement ends up with as in a custom one."""
    async with pool.acquire() as connection, connection.transaction():
        for method in ("seqscan", "bitmapscan", "sort"):
            await connection.execute(f"SET LOCAL enable_{method} = off")
        for mode in ("force_custom_plan", "force_generic_plan"):
            await connection.execute(f"SET LOCAL plan_cache_mode = {mode}")
            await connection.execute(f"PREPARE reading (text, bigint, bigint) AS {statement}")
            plan = "\n".join(
                row[0] for row in await connection.fetch("EXPLAIN EXECUTE reading('1', 0, 500)")
            )
            await connection.execute("DEALLOCATE reading")
            assert "Index Scan" in plan and "Sort" not in plan, f"{mode}:\n{plan}"
