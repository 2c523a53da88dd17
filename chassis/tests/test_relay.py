"""The relay against a real PostgreSQL and a real Kafka-protocol broker."""

from __future__ import annotations

import asyncio
import json
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
from aiokafka import AIOKafkaProducer, ConsumerRecord

from chassis.event_store import (
    DbConnection,
    GlobalPosition,
    PostgresEventStore,
    StoredEvent,
    create_pool,
)
from chassis.kafka_wire import decode_event, ensure_topics, event_producer, header_value
from chassis.projector import Projection, Projector
from chassis.relay import Relay, RelayCheckpoints, event_messages, retry_delay
from chassis.tests.factories import envelope
from chassis.tests.kafka_reading import read_topic, read_until
from chassis.tests.waiting import wait_for
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


async def publish_everything(relay: Relay[StoredEvent]) -> None:
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
    relay = Relay(store, producer, event_messages(lambda stored: [topic]), name="r1", batch_size=25)
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
    await publish_everything(Relay(store, producer, event_messages(lambda s: [topic]), name="r2"))
    for i in range(10, 15):
        await store.append([envelope("s", payload={"i": i})], expected_version=None)
    second = Relay(store, producer, event_messages(lambda s: [topic]), name="r2")
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
    database: str, bootstrap: str, topic: str, log: Path, name: str = "crashy", batch: int = 10
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
                name,
                "--batch-size",
                str(batch),
            ],
            cwd=REPO_ROOT,
            # The local broker is plaintext, which only development allows.
            env={
                **os.environ,
                "PYTHONPATH": str(REPO_ROOT),
                "DIGIPOLKU_ENVIRONMENT": "development",
            },
            stdout=output,
            stderr=subprocess.STDOUT,
        )


async def stop_process(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    """Signal the process and wait (bounded) for it to end; returns its exit status."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        return await asyncio.to_thread(process.wait, 10)
    except subprocess.TimeoutExpired:
        process.kill()
        await asyncio.to_thread(process.wait, 10)
        raise AssertionError(f"the relay ignored signal {sig} for 10 s") from None


async def wait_until_started(log: Path, lives: int) -> None:
    """Wait (bounded) until the log shows `lives` relay starts: signal handlers are set."""

    async def started() -> bool:
        return (await asyncio.to_thread(log.read_text)).count('"relay started"') >= lives

    assert await wait_for(started, 15), f"relay life {lives} did not start within 15 s"


async def test_relay_main_publishes_until_sigterm_and_stops_cleanly(
    store: PostgresEventStore,
    database: str,
    topic: str,
    infrastructure: TestInfrastructure,
    tmp_path: Path,
) -> None:
    for i in range(20):
        await store.append([envelope(f"s{i % 3}", payload={"i": i})], expected_version=None)
    log = tmp_path / "relay.log"
    process = start_relay_process(database, infrastructure.kafka_bootstrap, topic, log, "quiet")
    try:
        records = await read_topic(infrastructure.kafka_bootstrap, topic, 20)
    finally:
        status = await stop_process(process)
    assert len(records) == 20
    assert status == 0
    lines = log.read_text().splitlines()
    assert [json.loads(line)["event"] for line in lines] == [
        "relay started",
        "relay leads",
        "relay stopped",
    ]
    assert json.loads(lines[-1])["published"] == 20


async def test_killed_at_random_the_relay_loses_nothing(
    store: PostgresEventStore,
    pool: asyncpg.Pool,
    database: str,
    topic: str,
    infrastructure: TestInfrastructure,
    tmp_path: Path,
) -> None:
    """Writers append 3,000 events to 200 streams while the relay runs as its own process and
    is SIGKILLed at seeded random moments after it starts relaying, then restarted. A consumer
    reads the topic meanwhile. Every event must arrive, each stream's first arrivals in version
    order; the only duplicates are re-sends of whole earlier deliveries, which a projector
    drops."""
    rng = random.Random(20261124)
    total_streams, per_stream = 200, 15
    expected = total_streams * per_stream
    appended: set[UUID] = set()
    checkpoints = RelayCheckpoints(pool, "crashy")

    async def writer(first: int) -> None:
        pause = random.Random(first)
        for version in range(per_stream):
            for stream in range(first, total_streams, 4):
                batch = [envelope(f"p{stream}", payload={"v": version})]
                await store.append(batch, expected_version=version)
                appended.add(batch[0].event_id)
            await asyncio.sleep(pause.uniform(0.3, 0.9))  # spread the writes over the kills

    def everything_arrived(records: list[ConsumerRecord]) -> bool:
        if not writing.done() or len(records) < expected:
            return False
        return len({decode_event(r.value).event_id for r in records}) >= expected

    async def behind() -> bool:
        """Whether the store holds events after the relay's saved position."""
        return bool(await store.read_all(await checkpoints.load(), limit=1))

    started = time.monotonic()
    writing = asyncio.gather(*(writer(first) for first in range(4)))
    reading = asyncio.create_task(
        read_until(infrastructure.kafka_bootstrap, topic, everything_arrived, within=60)
    )
    log = tmp_path / "relay.log"
    kills = kills_with_backlog = 0
    process = start_relay_process(database, infrastructure.kafka_bootstrap, topic, log)
    try:
        while (not writing.done() or kills < 6) and time.monotonic() - started < 40:
            # Let this life start relaying (its position moves), then kill it at random.
            at_start = await checkpoints.load()

            async def relaying(at_start: GlobalPosition = at_start) -> bool:
                if await checkpoints.load() != at_start:
                    return True
                return writing.done() and not await behind()  # nothing left to relay

            await wait_for(relaying, 15)
            if rng.random() < 0.5:  # anywhere in its life
                await asyncio.sleep(rng.uniform(0.0, 0.5))
            else:  # as soon as it has events in hand: mid-batch, most likely
                await wait_for(behind, 2, interval=0.005)
                await asyncio.sleep(rng.uniform(0.0, 0.02))
            kills_with_backlog += await behind()
            assert await stop_process(process, signal.SIGKILL) == -signal.SIGKILL
            kills += 1
            process = start_relay_process(database, infrastructure.kafka_bootstrap, topic, log)
        async with asyncio.timeout(30):
            await writing
        records = await reading
        await wait_until_started(log, kills + 1)
    finally:
        writing.cancel()
        reading.cancel()
        status = await stop_process(process)
    assert status == 0, "the last relay did not stop cleanly on SIGTERM"
    assert len(appended) == expected
    assert kills >= 6 and kills_with_backlog >= 3, (kills, kills_with_backlog)

    events = [decode_event(r.value) for r in records]
    assert {e.event_id for e in events} == appended, "an appended event never reached Kafka"

    first_delivery: dict[UUID, ConsumerRecord] = {}
    first_seen: dict[str, list[int]] = defaultdict(list)
    for record, event in zip(records, events, strict=True):
        first = first_delivery.setdefault(event.event_id, record)
        if first is record:
            first_seen[event.stream_id].append(event.stream_version)
        else:  # a duplicate: the very same message again, on the same partition
            assert (record.partition, record.key, record.value, record.headers) == (
                first.partition,
                first.key,
                first.value,
                first.headers,
            )
            assert record.offset > first.offset
    assert len(first_seen) == total_streams
    assert all(v == list(range(1, per_stream + 1)) for v in first_seen.values())

    projector = await Counting.create(pool)
    applied = [await projector.handle(topic, event) for event in events]
    assert sum(applied) == expected
    assert await pool.fetchval("SELECT count(*) FROM applied") == expected
    duplicates = len(events) - expected
    print(
        f"\nrelay killed {kills} times ({kills_with_backlog} with a backlog); {len(events)}"
        f" deliveries of {expected} events ({duplicates} duplicates dropped) in"
        f" {time.monotonic() - started:.1f} s"
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
    relay = Relay(store, producer, event_messages(lambda s: [topic]), name="r3", batch_size=100)
    async with pool.acquire() as blocker, blocker.transaction():
        await blocker.execute("LOCK TABLE relay_checkpoints IN EXCLUSIVE MODE")
        publishing = asyncio.create_task(relay.publish_batch())
        sent = await read_topic(infrastructure.kafka_bootstrap, topic, 20)
        assert len(sent) == 20  # published, and the checkpoint write is waiting on the lock
        publishing.cancel()  # the process dies here
        with pytest.raises(asyncio.CancelledError):
            await publishing
    restarted = Relay(store, producer, event_messages(lambda s: [topic]), name="r3", batch_size=100)
    await publish_everything(restarted)
    assert restarted.published == 20  # everything again: nothing was saved

    records = await read_topic(infrastructure.kafka_bootstrap, topic, 40)
    assert len(records) == 40
    projector = await Counting.create(pool)
    applied = [await projector.handle(topic, decode_event(r.value)) for r in records]
    assert sum(applied) == 20
    assert await pool.fetchval("SELECT count(*) FROM applied") == 20


def test_retries_wait_longer_the_longer_an_outage_lasts_up_to_half_a_minute() -> None:
    assert [retry_delay(n) for n in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


async def test_a_relay_whose_database_is_away_keeps_trying_and_stops_at_once_when_asked(
    database: str, producer: AIOKafkaProducer, topic: str
) -> None:
    pool = await create_pool(database, max_size=2)
    relay = Relay(
        PostgresEventStore(pool), producer, event_messages(lambda s: [topic]), name="away"
    )
    await pool.close()  # every batch now fails, as when the database is away
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    # The first failure, a retry a second later, and then a wait of two seconds begins.
    await asyncio.sleep(1.5)
    assert not running.done()
    asked = time.monotonic()
    stop.set()
    await asyncio.wait_for(running, timeout=5)
    assert time.monotonic() - asked < 0.2  # the stop ended the wait, not the clock
