"""Projectors apply each event once, atomically with their checkpoint, across redelivery,
broker restarts and rebuilds."""

from __future__ import annotations

from uuid import uuid4

import asyncpg
import pytest

from chassis.event_store import DbConnection, PostgresEventStore
from chassis.kafka_wire import decode_event, ensure_topics, event_producer
from chassis.projector import Projection, Projector
from chassis.rebuild import rebuild, replay_topics
from chassis.relay import Relay
from chassis.tests.factories import envelope
from chassis.tests.kafka_reading import read_topic
from contracts.envelope import EventEnvelope
from deploy.test_infrastructure import TestInfrastructure


async def totals_projector(pool: asyncpg.Pool, fail_on: int | None = None) -> Projector:
    """A read model that sums a payload field per stream; optionally fails after writing."""
    await pool.execute(
        "CREATE TABLE IF NOT EXISTS totals (stream_id text PRIMARY KEY,"
        " total bigint NOT NULL, events int NOT NULL)"
    )

    async def add(connection: DbConnection, event: EventEnvelope) -> None:
        await connection.execute(
            "INSERT INTO totals VALUES ($1, $2, 1) ON CONFLICT (stream_id) DO UPDATE"
            " SET total = totals.total + $2, events = totals.events + 1",
            event.stream_id,
            event.payload["n"],
        )
        if fail_on is not None and event.payload["n"] == fail_on:
            raise RuntimeError("the handler failed after writing")

    return Projector(pool, Projection("totals", ["totals"], {"Noted": add}))


async def rows(pool: asyncpg.Pool) -> list[tuple[str, int, int]]:
    records = await pool.fetch("SELECT stream_id, total, events FROM totals ORDER BY stream_id")
    return [(r["stream_id"], r["total"], r["events"]) for r in records]


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


async def test_redelivery_after_a_broker_restart_changes_nothing(
    store: PostgresEventStore, pool: asyncpg.Pool, infrastructure: TestInfrastructure
) -> None:
    """A memory-only broker forgets topics and offsets on restart; the relay then sends
    everything again from position 0. Offsets cannot guard this; stream versions do."""
    if not infrastructure.can_restart_broker:
        pytest.skip("the container broker here cannot be restarted on the same address")
    topic = f"test.restart.{uuid4().hex[:8]}"
    projector = await totals_projector(pool)
    await stored_events(store, 30)

    async def relay_and_project() -> int:
        await ensure_topics(infrastructure.kafka_bootstrap, [topic])
        producer = event_producer(infrastructure.kafka_bootstrap)
        await producer.start()
        try:
            relay = Relay(store, producer, lambda s: [topic], name="restart")
            while await relay.publish_batch():
                pass
        finally:
            await producer.stop()
        records = await read_topic(infrastructure.kafka_bootstrap, topic, 30)
        return sum([await projector.handle(topic, decode_event(r.value)) for r in records])

    assert await relay_and_project() == 30
    before = await rows(pool)
    infrastructure.restart_broker()
    await pool.execute("DELETE FROM relay_checkpoints WHERE relay_name = 'restart'")
    assert await relay_and_project() == 0  # all 30 redelivered, all dropped
    assert await rows(pool) == before


async def test_rebuilding_from_zero_gives_the_live_read_model(
    store: PostgresEventStore, pool: asyncpg.Pool, infrastructure: TestInfrastructure
) -> None:
    topic = f"test.rebuild.{uuid4().hex[:8]}"
    await ensure_topics(infrastructure.kafka_bootstrap, [topic])
    projector = await totals_projector(pool)
    await stored_events(store, 300)
    producer = event_producer(infrastructure.kafka_bootstrap)
    await producer.start()
    try:
        relay = Relay(store, producer, lambda s: [topic], name="rebuild", batch_size=40)
        while await relay.publish_batch():
            pass
    finally:
        await producer.stop()
    assert await replay_topics(infrastructure.kafka_bootstrap, [topic], projector) == 300
    live = await rows(pool)
    assert sum(events for _, _, events in live) == 300

    assert await rebuild(projector, infrastructure.kafka_bootstrap, [topic]) == 300
    assert await rows(pool) == live
