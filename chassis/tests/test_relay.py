"""The relay against a real PostgreSQL and a real Kafka-protocol broker."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from chassis.event_store import DbConnection, PostgresEventStore
from chassis.kafka_wire import decode_event, ensure_topics, event_producer, header_value
from chassis.projector import Projection, Projector
from chassis.relay import Relay
from chassis.tests.factories import envelope
from chassis.tests.kafka_reading import read_topic
from contracts.envelope import EventEnvelope
from deploy.test_infrastructure import TestInfrastructure

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def producer(infrastructure: TestInfrastructure) -> AsyncIterator[AIOKafkaProducer]:
    producer = event_producer(infrastructure.kafka_bootstrap)
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
async def topic(infrastructure: TestInfrastructure) -> str:
    name = f"test.relay.{uuid4().hex[:8]}"
    await ensure_topics(infrastructure.kafka_bootstrap, [name])
    return name


async def publish_everything(relay: Relay) -> None:
    while await relay.publish_batch():
        pass


async def test_publishes_in_stream_order_with_key_and_headers(
    store: PostgresEventStore,
    producer: AIOKafkaProducer,
    topic: str,
    infrastructure: TestInfrastructure,
) -> None:
    for i in range(60):
        await store.append([envelope(f"s{i % 7}", payload={"i": i})], expected_version=None)
    relay = Relay(store, producer, lambda stored: [topic], name="r1", batch_size=25)
    await publish_everything(relay)

    records = await read_topic(infrastructure.kafka_bootstrap, topic, 60)
    assert len(records) == 60
    by_stream: dict[str, list[int]] = defaultdict(list)
    for record in records:
        event = decode_event(record.value)
        assert record.key == event.stream_id.encode()
        assert header_value(record.headers, "event_type") == event.event_type
        assert header_value(record.headers, "correlation_id") == str(event.correlation_id)
        by_stream[event.stream_id].append(event.stream_version)
    assert all(versions == sorted(versions) for versions in by_stream.values())
    assert sum(len(v) for v in by_stream.values()) == 60


async def test_a_new_relay_resumes_from_the_saved_position(
    store: PostgresEventStore,
    producer: AIOKafkaProducer,
    topic: str,
    infrastructure: TestInfrastructure,
) -> None:
    for i in range(10):
        await store.append([envelope("s", payload={"i": i})], expected_version=None)
    await publish_everything(Relay(store, producer, lambda s: [topic], name="r2"))
    for i in range(10, 15):
        await store.append([envelope("s", payload={"i": i})], expected_version=None)
    second = Relay(store, producer, lambda s: [topic], name="r2")
    await publish_everything(second)
    assert second.published == 5
    records = await read_topic(infrastructure.kafka_bootstrap, topic, 15)
    assert [decode_event(r.value).payload["i"] for r in records] == list(range(15))


class Counting:
    """A tiny read model: one row per applied event, to count exactly-once application."""

    @staticmethod
    async def create(pool: asyncpg.Pool) -> Projector:
        await pool.execute(
            "CREATE TABLE IF NOT EXISTS applied (event_id uuid PRIMARY KEY,"
            " stream_id text NOT NULL, stream_version int NOT NULL)"
        )

        async def apply(connection: DbConnection, event: EventEnvelope) -> None:
            # A plain INSERT: applying one event twice would fail loudly here.
            await connection.execute(
                "INSERT INTO applied VALUES ($1, $2, $3)",
                event.event_id,
                event.stream_id,
                event.stream_version,
            )

        return Projector(pool, Projection("counting", ["applied"], {"Noted": apply}))


def start_relay_process(
    database: str, bootstrap: str, topic: str, log: Path
) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chassis.relay_main",
                "--database-url",
                database,
                "--bootstrap",
                bootstrap,
                "--topic",
                topic,
                "--name",
                "crashy",
                "--batch-size",
                "50",
            ],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )


async def test_killed_at_random_the_relay_loses_nothing(
    store: PostgresEventStore,
    pool: asyncpg.Pool,
    database: str,
    topic: str,
    infrastructure: TestInfrastructure,
    tmp_path: Path,
) -> None:
    """Writers append thousands of events while the relay is SIGKILLed at random moments and
    restarted. Every event must reach Kafka; re-sent duplicates are dropped by a projector."""
    rng = random.Random(7)
    total_streams, per_stream = 200, 15
    appended: list[UUID] = []

    async def writer(first: int) -> None:
        for version in range(per_stream):
            for stream in range(first, total_streams, 4):
                batch = [envelope(f"p{stream}", payload={"v": version})]
                await store.append(batch, expected_version=version)
                appended.append(batch[0].event_id)
            await asyncio.sleep(0.4)  # spread the writes over seconds of relay kills

    started = time.monotonic()
    writing = asyncio.gather(*(writer(first) for first in range(4)))
    log = tmp_path / "relay.log"
    kills = 0
    process = start_relay_process(database, infrastructure.kafka_bootstrap, topic, log)
    try:
        while not writing.done() or kills < 8:
            await asyncio.sleep(rng.uniform(0.3, 1.5))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            kills += 1
            process = start_relay_process(database, infrastructure.kafka_bootstrap, topic, log)
        await writing
        expected = total_streams * per_stream
        assert len(appended) == expected
        records = await read_topic(infrastructure.kafka_bootstrap, topic, expected, within=60)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert kills >= 8

    events = [decode_event(r.value) for r in records]
    delivered = {e.event_id for e in events}
    assert delivered == set(appended), "an appended event never reached Kafka"

    first_seen: dict[str, list[int]] = defaultdict(list)
    seen: set[UUID] = set()
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            first_seen[event.stream_id].append(event.stream_version)
    assert all(v == list(range(1, per_stream + 1)) for v in first_seen.values())

    projector = await Counting.create(pool)
    applied = [await projector.handle(topic, event) for event in events]
    assert sum(applied) == expected
    assert await pool.fetchval("SELECT count(*) FROM applied") == expected
    duplicates = len(events) - expected
    print(
        f"\nrelay killed {kills} times; {len(events)} deliveries of {expected} events "
        f"({duplicates} duplicates dropped) in {time.monotonic() - started:.1f} s"
    )


async def test_a_crash_between_publishing_and_saving_resends_and_the_consumer_drops_it(
    store: PostgresEventStore,
    pool: asyncpg.Pool,
    producer: AIOKafkaProducer,
    topic: str,
    infrastructure: TestInfrastructure,
) -> None:
    """The one window where at-least-once shows: the broker has the batch, the position is
    not saved yet. A real lock (reads pass, writes wait) holds the checkpoint write while
    the relay is stopped dead."""
    for i in range(20):
        await store.append([envelope(f"s{i % 4}", payload={"i": i})], expected_version=None)
    relay = Relay(store, producer, lambda s: [topic], name="r3", batch_size=100)
    async with pool.acquire() as blocker, blocker.transaction():
        await blocker.execute("LOCK TABLE relay_checkpoints IN EXCLUSIVE MODE")
        publishing = asyncio.create_task(relay.publish_batch())
        sent = await read_topic(infrastructure.kafka_bootstrap, topic, 20)
        assert len(sent) == 20  # published, and the checkpoint write is waiting on the lock
        publishing.cancel()  # the process dies here
        with pytest.raises(asyncio.CancelledError):
            await publishing
    restarted = Relay(store, producer, lambda s: [topic], name="r3", batch_size=100)
    await publish_everything(restarted)
    assert restarted.published == 20  # everything again: nothing was saved

    records = await read_topic(infrastructure.kafka_bootstrap, topic, 40)
    assert len(records) == 40
    projector = await Counting.create(pool)
    applied = [await projector.handle(topic, decode_event(r.value)) for r in records]
    assert sum(applied) == 20
    assert await pool.fetchval("SELECT count(*) FROM applied") == 20
