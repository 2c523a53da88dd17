"""Two relays on one store: one leads, the other takes over when the leader's lock goes."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
from aiokafka import AIOKafkaProducer, ConsumerRecord

from chassis.event_store import PostgresEventStore, StoredEvent
from chassis.kafka_wire import decode_event, ensure_topics, event_producer
from chassis.relay import Relay, event_messages
from chassis.relay_leader import RelayLeadership
from chassis.tests.factories import envelope
from chassis.tests.kafka_reading import read_until
from chassis.tests.test_relay import start_relay_process, stop_process
from chassis.tests.waiting import wait_for
from deploy.test_infrastructure import TestInfrastructure


def relay_on(
    store: PostgresEventStore, producer: AIOKafkaProducer, database: str, topic: str
) -> Relay[StoredEvent]:
    return Relay(
        store,
        producer,
        event_messages(lambda stored: [topic]),
        name="led",
        batch_size=20,
        idle_seconds=0.02,
        leadership=RelayLeadership.for_database(database, "led"),
    )


def roles(*relays: Relay[StoredEvent]) -> list[str]:
    return [str(relay.status()["role"]) for relay in relays]


async def lock_holders(pool: asyncpg.Pool) -> list[int]:
    """The sessions holding an advisory lock in this database (the leader's lock)."""
    rows = await pool.fetch(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    return [row["pid"] for row in rows]


LOCK_KEY = "digipolku-relay:led"


async def test_a_leader_that_loses_its_lock_stops_until_it_holds_it_again(
    store: PostgresEventStore,
    pool: asyncpg.Pool,
    database: str,
    infrastructure: TestInfrastructure,
) -> None:
    bootstrap = infrastructure.kafka_bootstrap
    topic = f"test.leader.{uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic])
    producers = [event_producer(bootstrap), event_producer(bootstrap)]
    for producer in producers:
        await producer.start()
    first, second = (relay_on(store, p, database, topic) for p in producers)
    appended: list[UUID] = []

    async def append(count: int) -> None:
        for _ in range(count):
            batch = [envelope(f"s{len(appended) % 5}", payload={"i": len(appended)})]
            await store.append(batch, expected_version=None)
            appended.append(batch[0].event_id)
            await asyncio.sleep(0.005)

    def published() -> int:
        return first.published + second.published

    stop = asyncio.Event()
    running = [asyncio.create_task(relay.run(stop)) for relay in (first, second)]
    thief = await asyncpg.connect(database)
    try:
        await append(50)

        async def one_leads() -> bool:
            return sorted(roles(first, second)) == ["leader", "standby"]

        assert await wait_for(one_leads, 5), roles(first, second)
        assert await wait_for(lambda: _count(published, 50), 10)

        # The leader's session ends (as when its database restarts) and, before it can come
        # back, someone else holds the lock: neither relay may publish meanwhile.
        [holder] = await lock_holders(pool)
        await pool.execute("SELECT pg_terminate_backend($1)", holder)
        await thief.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", LOCK_KEY)

        async def none_leads() -> bool:
            return roles(first, second) == ["standby", "standby"]

        assert await wait_for(none_leads, 5), roles(first, second)
        before = published()
        await append(30)
        await asyncio.sleep(1.5)
        assert published() == before, "a relay without the lock published"

        # The lock is free again: one of them leads within the standby's retry.
        await thief.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", LOCK_KEY)
        assert await wait_for(one_leads, 3), roles(first, second)
        await append(20)

        def everything(records: list[ConsumerRecord]) -> bool:
            return {decode_event(r.value).event_id for r in records} >= set(appended)

        records = await read_until(bootstrap, topic, everything, within=30)
        assert len(await lock_holders(pool)) == 1
    finally:
        await thief.close()
        stop.set()
        await asyncio.gather(*running, return_exceptions=True)
        for producer in producers:
            await producer.stop()
    assert_complete_and_in_order(records, appended)


def assert_complete_and_in_order(records: list[ConsumerRecord], appended: list[UUID]) -> None:
    events = [decode_event(r.value) for r in records]
    assert {e.event_id for e in events} == set(appended), "an event never reached Kafka"
    first_seen: dict[str, list[int]] = defaultdict(list)
    seen: set[UUID] = set()
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            first_seen[event.stream_id].append(event.stream_version)
    assert all(v == list(range(1, len(v) + 1)) for v in first_seen.values()), "reordered"


async def test_a_killed_leader_process_is_replaced_within_seconds(
    store: PostgresEventStore, database: str, infrastructure: TestInfrastructure, tmp_path: Path
) -> None:
    bootstrap = infrastructure.kafka_bootstrap
    topic = f"test.leader.{uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic])
    appended: list[UUID] = []

    async def append(count: int) -> None:
        for _ in range(count):
            batch = [envelope(f"s{len(appended) % 7}", payload={"i": len(appended)})]
            await store.append(batch, expected_version=None)
            appended.append(batch[0].event_id)
            await asyncio.sleep(0.01)

    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    processes = [start_relay_process(database, bootstrap, topic, log, name="pair") for log in logs]
    try:
        await append(40)

        async def leaders() -> list[int]:
            texts = [await asyncio.to_thread(log.read_text) for log in logs]
            return [n for n, text in enumerate(texts) if '"relay leads"' in text]

        async def one_leader() -> bool:
            return len(await leaders()) == 1

        assert await wait_for(one_leader, 15), await leaders()
        [leader] = await leaders()
        writing = asyncio.create_task(append(60))
        await asyncio.sleep(0.2)
        assert await stop_process(processes[leader], signal.SIGKILL) == -signal.SIGKILL
        killed_at = time.monotonic()

        async def taken_over() -> bool:
            return await leaders() == [0, 1]

        assert await wait_for(taken_over, 5), "the standby did not take over within 5 s"
        handover = time.monotonic() - killed_at
        await writing

        def everything(records: list[ConsumerRecord]) -> bool:
            return {decode_event(r.value).event_id for r in records} >= set(appended)

        records = await read_until(bootstrap, topic, everything, within=30)
    finally:
        for process in processes:
            await stop_process(process)
    assert_complete_and_in_order(records, appended)
    print(f"\nhandover after SIGKILL of the leader: {handover:.2f} s")


async def _published(relay: Relay[StoredEvent], count: int) -> bool:
    return relay.published >= count


async def _count(counter: Callable[[], int], count: int) -> bool:
    return counter() >= count


async def test_a_stopped_leader_hands_over_at_once(
    store: PostgresEventStore, database: str, infrastructure: TestInfrastructure
) -> None:
    bootstrap = infrastructure.kafka_bootstrap
    topic = f"test.leader.{uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic])
    producer = event_producer(bootstrap)
    await producer.start()
    first, second = (
        relay_on(store, producer, database, topic),
        relay_on(store, producer, database, topic),
    )
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    running_first = asyncio.create_task(first.run(stop_first))
    try:
        assert await wait_for(lambda: _role(first, "leader"), 5)
        running_second = asyncio.create_task(second.run(stop_second))
        await asyncio.sleep(1.5)
        assert roles(first, second) == ["leader", "standby"]
        stop_first.set()
        await running_first
        assert await wait_for(lambda: _role(second, "leader"), 3)
        await store.append([envelope("after", payload={})], expected_version=None)
        assert await wait_for(lambda: _published(second, 1), 5)
    finally:
        stop_first.set()
        stop_second.set()
        await asyncio.gather(running_first, return_exceptions=True)
        if "running_second" in locals():
            await asyncio.gather(running_second, return_exceptions=True)
        await producer.stop()


async def _role(relay: Relay[StoredEvent], role: str) -> bool:
    return relay.status()["role"] == role
