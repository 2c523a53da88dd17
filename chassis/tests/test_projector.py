"""Projectors apply each event once, atomically with their checkpoint, across redelivery,
broker restarts and rebuilds."""

from __future__ import annotations

import asyncio
import time
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer

from chassis.event_store import DbConnection, PostgresEventStore
from chassis.kafka_wire import decode_event, ensure_topics, event_producer
from chassis.projector import Projection, Projector
from chassis.rebuild import rebuild, replay_topics
from chassis.relay import Relay, event_messages
from chassis.tests.factories import envelope
from chassis.tests.kafka_reading import read_topic
from contracts.envelope import EventEnvelope
from deploy.test_infrastructure import TestInfrastructure


async def totals_projector(pool: asyncpg.Pool, fail_on: int | None = None) -> Projector:
    """A read model that sums a payload field per stream; optionally fails after writing."""
    await pool.execute(
        "CREATE TABLE IF NOT EXISTS totals (stream_id text PRIMARY KEY,"
        " total bigint NOT NULL, events int NOT NULL, last_event uuid)"
    )

    async def add(connection: DbConnection, event: EventEnvelope) -> None:
        await connection.execute(
            "INSERT INTO totals VALUES ($1, $2, 1, $3) ON CONFLICT (stream_id) DO UPDATE"
            " SET total = totals.total + $2, events = totals.events + 1, last_event = $3",
            event.stream_id,
            event.payload["n"],
            event.event_id,
        )
        if fail_on is not None and event.payload["n"] == fail_on:
            raise RuntimeError("the handler failed after writing")

    return Projector(pool, Projection("totals", ["totals"], {"Noted": add}))


async def rows(pool: asyncpg.Pool) -> list[tuple[str, int, int]]:
    records = await pool.fetch("SELECT stream_id, total, events FROM totals ORDER BY stream_id")
    return [(r["stream_id"], r["total"], r["events"]) for r in records]


async def everything(pool: asyncpg.Pool) -> dict[str, list[asyncpg.Record]]:
    """The whole read model and its tracking rows, sorted: what a rebuild must reproduce."""
    return {
        "totals": await pool.fetch("SELECT * FROM totals ORDER BY stream_id"),
        "tracking": await pool.fetch(
            "SELECT * FROM projection_tracking WHERE projection = 'totals'"
            " ORDER BY source, stream_id"
        ),
    }


async def stored_events(store: PostgresEventStore, count: int) -> list[EventEnvelope]:
    for i in range(count):
        await store.append([envelope(f"s{i % 3}", payload={"n": i})], expected_version=None)
    return [s.envelope for stream in ("s0", "s1", "s2") for s in await store.read_stream(stream)]


async def test_the_same_event_twice_is_applied_once(
    store: PostgresEventStore, pool: asyncpg.Pool
) -> None:
    projector = await totals_projector(pool)
    events = await stored_events(store, 9)
    assert all([await projector.handle("t", e) for e in events])
    assert not any([await projector.handle("t", e) for e in events])
    assert await rows(pool) == [("s0", 0 + 3 + 6, 3), ("s1", 1 + 4 + 7, 3), ("s2", 2 + 5 + 8, 3)]


async def test_a_failing_handler_leaves_neither_change_nor_checkpoint(
    store: PostgresEventStore, pool: asyncpg.Pool
) -> None:
    events = await stored_events(store, 3)
    failing = await totals_projector(pool, fail_on=1)
    await failing.handle("t", events[0])  # n=0 on s0
    s1_first = next(e for e in events if e.payload["n"] == 1)
    with pytest.raises(RuntimeError):
        await failing.handle("t", s1_first)
    assert await rows(pool) == [("s0", 0, 1)]
    tracked = await pool.fetchval("SELECT count(*) FROM projection_tracking WHERE stream_id = 's1'")
    assert tracked == 0
    healthy = await totals_projector(pool)
    assert await healthy.handle("t", s1_first)  # delivered again, applied now
    assert await rows(pool) == [("s0", 0, 1), ("s1", 1, 1)]


async def test_the_same_stream_from_two_sources_is_tracked_apart(
    store: PostgresEventStore, pool: asyncpg.Pool
) -> None:
    projector = await totals_projector(pool)
    event = (await stored_events(store, 1))[0]
    assert await projector.handle("enrolment", event)
    assert await projector.handle("tasks", event.model_copy(update={"event_id": uuid4()}))


def in_writing_order(events: list[EventEnvelope]) -> list[tuple[str, EventEnvelope]]:
    """Events as one topic delivers them: in the order written (by `n`), streams interleaved."""
    return [("t", e) for e in sorted(events, key=lambda e: e.payload["n"])]


async def tracked_versions(pool: asyncpg.Pool, projection: str = "totals") -> dict[str, int]:
    records = await pool.fetch(
        "SELECT stream_id, stream_version FROM projection_tracking WHERE projection = $1",
        projection,
    )
    return {r["stream_id"]: r["stream_version"] for r in records}


async def test_a_batch_drops_duplicates_within_itself_and_from_earlier_batches(
    store: PostgresEventStore, pool: asyncpg.Pool
) -> None:
    projector = await totals_projector(pool)
    events = await stored_events(store, 9)  # s0: n=0, 3, 6; s1: n=1, 4, 7; s2: n=2, 5, 8
    first_two_of_s0_and_s1 = [("t", e) for e in events[0:2] + events[3:5]]
    assert await projector.handle_batch(first_two_of_s0_and_s1 * 2) == 4
    assert await tracked_versions(pool) == {"s0": 2, "s1": 2}
    assert await projector.handle_batch(in_writing_order(events)) == 5
    assert await projector.handle_batch(in_writing_order(events)) == 0
    assert await rows(pool) == [("s0", 0 + 3 + 6, 3), ("s1", 1 + 4 + 7, 3), ("s2", 2 + 5 + 8, 3)]
    assert await tracked_versions(pool) == {"s0": 3, "s1": 3, "s2": 3}


async def test_a_handler_failing_mid_batch_rolls_back_the_whole_batch(
    store: PostgresEventStore, pool: asyncpg.Pool
) -> None:
    """Changes and checkpoints of the events before the failing one go too; delivering the
    batch again (as the consumer does) then applies every event exactly once."""
    delivered = in_writing_order(await stored_events(store, 9))
    healthy = await totals_projector(pool)
    assert await healthy.handle_batch(delivered[:3]) == 3  # version 1 of each stream
    before = await everything(pool)
    failing = await totals_projector(pool, fail_on=5)  # s2's second event, mid-batch
    with pytest.raises(RuntimeError):
        await failing.handle_batch(delivered)
    assert await everything(pool) == before
    assert await tracked_versions(pool) == {"s0": 1, "s1": 1, "s2": 1}
    assert await healthy.handle_batch(delivered) == 6
    assert await rows(pool) == [("s0", 0 + 3 + 6, 3), ("s1", 1 + 4 + 7, 3), ("s2", 2 + 5 + 8, 3)]


async def test_a_batch_applies_events_in_delivery_order_and_tracks_sources_apart(
    store: PostgresEventStore, pool: asyncpg.Pool
) -> None:
    seen: list[tuple[str, int]] = []

    async def note(connection: DbConnection, event: EventEnvelope) -> None:
        seen.append((event.stream_id, event.stream_version))

    projector = Projector(pool, Projection("order", [], {"Noted": note}))
    written = in_writing_order(await stored_events(store, 9))
    # The same streams on a second topic, interleaved with the first, as one consumer sees them.
    delivered = [item for _, e in written for item in (("a", e), ("b", e))]
    assert await projector.handle_batch(delivered) == 18
    assert seen == [(e.stream_id, e.stream_version) for _, e in delivered]
    tracked = await pool.fetch(
        "SELECT source, count(*) AS streams, min(stream_version) AS versions"
        " FROM projection_tracking WHERE projection = 'order' GROUP BY source ORDER BY source"
    )
    assert [tuple(r.values()) for r in tracked] == [("a", 3, 3), ("b", 3, 3)]


async def test_batches_that_deadlock_are_tried_again(
    store: PostgresEventStore, pool: asyncpg.Pool
) -> None:
    """Two projections whose batches lock the same rows in opposite orders (as a rebuild beside
    the live consumer can): PostgreSQL aborts one, which is tried again and applied once."""
    await pool.execute("CREATE TABLE hits (stream_id text PRIMARY KEY, hits int NOT NULL)")
    await pool.execute("INSERT INTO hits VALUES ('s0', 0), ('s1', 0)")
    events = await stored_events(store, 2)  # s0 v1, s1 v1
    both_hold_a_row = asyncio.Barrier(2)

    def hitting(name: str) -> Projector:
        waited = False

        async def hit(connection: DbConnection, event: EventEnvelope) -> None:
            nonlocal waited
            await connection.execute(
                "UPDATE hits SET hits = hits + 1 WHERE stream_id = $1", event.stream_id
            )
            if not waited:  # only on the first try: each then wants the other's row
                waited = True
                await both_hold_a_row.wait()

        return Projector(pool, Projection(name, ["hits"], {"Noted": hit}))

    async with asyncio.timeout(20):
        applied = await asyncio.gather(
            hitting("forward").handle_batch([("t", e) for e in events]),
            hitting("backward").handle_batch([("t", e) for e in reversed(events)]),
        )
    assert list(applied) == [2, 2]
    hits = await pool.fetch("SELECT stream_id, hits FROM hits ORDER BY stream_id")
    assert [tuple(r.values()) for r in hits] == [("s0", 2), ("s1", 2)]


async def publish_everything(
    store: PostgresEventStore, bootstrap: str, topic: str, name: str, batch_size: int = 500
) -> int:
    """Run a relay until it is caught up; returns how many events it published."""
    producer = event_producer(bootstrap)
    await producer.start()
    try:
        relay = Relay(
            store, producer, event_messages(lambda s: [topic]), name=name, batch_size=batch_size
        )
        for _ in range(1000):
            if not await relay.publish_batch():
                return relay.published
        raise AssertionError("the relay never caught up")
    finally:
        await producer.stop()


async def test_redelivery_after_a_broker_restart_changes_nothing(
    store: PostgresEventStore, pool: asyncpg.Pool, infrastructure: TestInfrastructure
) -> None:
    """A memory-only broker forgets topics and offsets on restart; the relay then sends
    everything again from position 0. Offsets cannot guard this; stream versions do."""
    if not infrastructure.can_restart_broker:
        pytest.skip("the container broker here cannot be restarted on the same address")
    bootstrap = infrastructure.kafka_bootstrap
    topic = f"test.restart.{uuid4().hex[:8]}"
    projector = await totals_projector(pool)
    await stored_events(store, 30)

    async def relay_and_project() -> tuple[int, int]:
        """Publish, read the topic back and project it; returns (applied, dropped)."""
        await ensure_topics(bootstrap, [topic])
        assert await publish_everything(store, bootstrap, topic, "restart") == 30
        records = await read_topic(bootstrap, topic, 30)
        assert len(records) == 30
        applied = [await projector.handle(topic, decode_event(r.value)) for r in records]
        return sum(applied), applied.count(False)

    assert await relay_and_project() == (30, 0)
    before = await everything(pool)
    infrastructure.restart_broker()
    # The topic is gone; a rebuilt topic is the relay publishing from position 0 again.
    await pool.execute("DELETE FROM relay_checkpoints WHERE relay_name = 'restart'")
    assert await relay_and_project() == (0, 30)  # all 30 redelivered, all dropped
    assert await everything(pool) == before


async def test_rebuilding_from_zero_gives_the_live_read_model(
    store: PostgresEventStore, pool: asyncpg.Pool, infrastructure: TestInfrastructure
) -> None:
    """The live read model is made by a group consumer while the relay publishes; a rebuild
    from zero (after the read model was damaged) must make exactly the same rows."""
    bootstrap = infrastructure.kafka_bootstrap
    topic = f"test.rebuild.{uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic])
    projector = await totals_projector(pool)
    live_consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"live-{uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await live_consumer.start()
    try:

        async def write_and_publish() -> None:
            for _ in range(3):
                await stored_events(store, 100)
                await publish_everything(store, bootstrap, topic, "rebuild", batch_size=40)

        publishing = asyncio.create_task(write_and_publish())
        applied = 0
        deadline = time.monotonic() + 40
        while applied < 300 and time.monotonic() < deadline:
            batch = await live_consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                for message in messages:
                    applied += await projector.handle(topic, decode_event(message.value))
            if batch:
                await live_consumer.commit()
        async with asyncio.timeout(10):
            await publishing
    finally:
        await live_consumer.stop()
    assert applied == 300
    live = await everything(pool)
    assert sum(row["events"] for row in live["totals"]) == 300

    await pool.execute("UPDATE totals SET total = -1, last_event = NULL")
    await pool.execute("DELETE FROM totals WHERE stream_id = 's0'")
    assert await rebuild(projector, bootstrap, [topic]) == 300
    assert await everything(pool) == live


async def test_a_replay_stops_at_the_end_it_found_on_starting(
    store: PostgresEventStore, pool: asyncpg.Pool, infrastructure: TestInfrastructure
) -> None:
    """Messages that arrive while a replay runs are the live consumer's: the replay reads
    what the topics held when it started (several record batches per partition, which
    Tansu's ListOffsets gets wrong), and ends."""
    bootstrap = infrastructure.kafka_bootstrap
    topic = f"test.replay.{uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic])
    await stored_events(store, 60)
    assert await publish_everything(store, bootstrap, topic, "replay", batch_size=7) == 60
    totals = await totals_projector(pool)
    more_written = False

    async def publish_more_on_first_event(connection: DbConnection, event: EventEnvelope) -> None:
        nonlocal more_written
        if not more_written:
            more_written = True
            await stored_events(store, 30)
            assert await publish_everything(store, bootstrap, topic, "replay") == 30
        await totals.projection.handlers["Noted"](connection, event)

    projector = Projector(
        pool, Projection("totals", ["totals"], {"Noted": publish_more_on_first_event})
    )
    assert await replay_topics(bootstrap, [topic], projector) == 60
    assert more_written
    assert sum(row["events"] for row in (await everything(pool))["totals"]) == 60
    assert len(await read_topic(bootstrap, topic, 90)) == 90


async def test_live_batches_wait_while_a_rebuild_replays(
    store: PostgresEventStore,
    pool: asyncpg.Pool,
    infrastructure: TestInfrastructure,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A live event of a stream that arrives mid-rebuild must not be recorded before the
    replay has applied that stream's earlier events (they would be dropped as repeats)."""
    bootstrap = infrastructure.kafka_bootstrap
    topic = f"test.rebuild-live.{uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic])
    history = await stored_events(store, 60)
    assert await publish_everything(store, bootstrap, topic, "rebuild-live") == 60
    monkeypatch.setattr("chassis.rebuild.REPLAY_BATCH", 5)  # many batches, so many chances
    totals = await totals_projector(pool)
    s0 = [event for event in history if event.stream_id == "s0"]
    later = envelope("s0", payload={"n": 1000}).model_copy(
        update={"stream_version": s0[-1].stream_version + 1}
    )
    live = Projector(pool, totals.projection)
    live_batch: asyncio.Task[int] | None = None

    async def start_live_batch_on_first_event(
        connection: DbConnection, event: EventEnvelope
    ) -> None:
        nonlocal live_batch
        if live_batch is None:
            live_batch = asyncio.create_task(live.handle_batch([(topic, later)]))
            await asyncio.sleep(0.3)  # time enough to commit, were it not kept waiting
            assert not live_batch.done(), "the live batch went ahead of the rebuild"
        await totals.projection.handlers["Noted"](connection, event)

    rebuilding = Projector(
        pool, Projection("totals", ["totals"], {"Noted": start_live_batch_on_first_event})
    )
    assert await rebuild(rebuilding, bootstrap, [topic]) == 60
    assert live_batch is not None
    assert await asyncio.wait_for(live_batch, 10) == 1  # applied after the rebuild, once
    counted = {stream: events for stream, _, events in await rows(pool)}
    assert counted == {"s0": len(s0) + 1, "s1": 20, "s2": 20}
    tracked = await pool.fetchval(
        "SELECT stream_version FROM projection_tracking"
        " WHERE projection = 'totals' AND source = $1 AND stream_id = 's0'",
        topic,
    )
    assert tracked == later.stream_version


async def test_an_event_ahead_of_a_missing_one_waits_for_the_relay_to_send_both_again(
    pool: asyncpg.Pool,
) -> None:
    """A failed send of v2 with v3 getting through: the relay sends v2 and v3 again from its
    checkpoint. v3 must not be applied first, or v2 would be dropped as a repeat."""
    totals = await totals_projector(pool)
    stream = f"gap-{uuid4().hex[:8]}"
    v1, v2, v3 = (
        envelope(stream, payload={"n": n}).model_copy(update={"stream_version": n})
        for n in (1, 2, 3)
    )
    assert await totals.handle_batch([("t", v1), ("t", v3)]) == 1  # v3 held back
    assert await totals.handle_batch([("t", v2), ("t", v3)]) == 2  # the relay's resend
    assert await totals.handle_batch([("t", v3)]) == 0  # and any later repeat is dropped
    counted = {row[0]: row[1:] for row in await rows(pool)}
    assert counted[stream] == (1 + 2 + 3, 3)


async def test_a_new_streams_later_event_waits_for_its_first(pool: asyncpg.Pool) -> None:
    """The same when the send that failed held a stream's very first event."""
    totals = await totals_projector(pool)
    stream = f"new-{uuid4().hex[:8]}"
    first, second = (
        envelope(stream, payload={"n": n}).model_copy(update={"stream_version": n}) for n in (1, 2)
    )
    assert await totals.handle_batch([("t", second)]) == 0  # held back
    assert await totals.handle_batch([("t", first), ("t", second)]) == 2
    counted = {row[0]: row[1:] for row in await rows(pool)}
    assert counted[stream] == (1 + 2, 2)
