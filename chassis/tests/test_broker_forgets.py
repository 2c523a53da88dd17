"""The broker forgets (Tansu keeps everything in memory; a restart loses it all): the relay
notices that acknowledged events are gone and publishes its store again, so a fresh consumer
reads every event of the store, each stream in order."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from uuid import UUID, uuid4

from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient

from chassis.broker_watch import KafkaEndOffsets
from chassis.event_store import PostgresEventStore, StoredEvent
from chassis.kafka_wire import declared_partition, decode_event, ensure_topics, event_producer
from chassis.relay import Relay, event_messages
from chassis.relay_leader import RelayLeadership
from chassis.tests.factories import envelope
from chassis.tests.kafka_reading import read_until
from chassis.tests.test_relay_leadership import assert_complete_and_in_order
from chassis.tests.waiting import wait_for
from contracts.topics import tenant_topic
from deploy.local_stack import LocalTansu


@contextlib.asynccontextmanager
async def relay_for(
    store: PostgresEventStore, database: str, broker: LocalTansu, topic: str
) -> AsyncIterator[Relay[StoredEvent]]:
    bootstrap = broker.bootstrap_servers
    producer: AIOKafkaProducer = event_producer(bootstrap)
    await producer.start()
    end_offsets = KafkaEndOffsets(bootstrap)

    async def recreate(lost: list[str]) -> None:
        await ensure_topics(bootstrap, lost)

    relay = Relay(
        store,
        producer,
        event_messages(lambda stored: [topic]),
        name="forgotten",
        batch_size=50,
        idle_seconds=0.02,
        leadership=RelayLeadership.for_database(database, "forgotten"),
        end_offsets=end_offsets,
        recreate_topics=recreate,
        check_seconds=0.5,
        own_topics=[topic],
    )
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:
        yield relay
    finally:
        stop.set()
        await asyncio.gather(running, return_exceptions=True)
        await end_offsets.stop()
        await producer.stop()


async def append(store: PostgresEventStore, appended: list[UUID], count: int) -> None:
    for _ in range(count):
        batch = [envelope(f"p{len(appended) % 11}", payload={"i": len(appended)})]
        await store.append(batch, expected_version=None)
        appended.append(batch[0].event_id)


async def read_everything(bootstrap: str, topic: str, appended: list[UUID]) -> list[ConsumerRecord]:
    def everything(records: list[ConsumerRecord]) -> bool:
        return {decode_event(r.value).event_id for r in records} >= set(appended)

    return await read_until(bootstrap, topic, everything, within=30)


async def restart(broker: LocalTansu) -> None:
    await asyncio.to_thread(broker.restart)


async def auto_create(bootstrap: str, topic: str) -> None:
    """What a consumer's metadata request does to a topic the broker forgot: Tansu makes it
    again with its own defaults (four partitions, no settings)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.describe_topics([topic])  # names it: auto-creation allowed
    finally:
        await admin.close()


async def test_a_broker_restarted_mid_traffic_is_refilled_from_the_store(
    store: PostgresEventStore, database: str, broker: LocalTansu
) -> None:
    # A declared topic (a public one's pattern): after the restart a client may auto-create
    # it with the broker's own count; each path must stay on its declared partition.
    topic = tenant_topic(f"forget-{uuid4().hex[:8]}")
    await ensure_topics(broker.bootstrap_servers, [topic])
    appended: list[UUID] = []
    async with relay_for(store, database, broker, topic) as relay:
        await append(store, appended, 200)
        assert await wait_for(lambda: _published(relay, 200), 15)
        writing = asyncio.create_task(_trickle(store, appended, 100))
        await restart(broker)  # every topic, message and offset is gone
        await auto_create(broker.bootstrap_servers, topic)
        await writing

        async def refilled() -> bool:
            return relay.broker_losses >= 1 and relay.published >= 200 + 300

        assert await wait_for(refilled, 30), relay.status()
        records = await read_everything(broker.bootstrap_servers, topic, appended)
        status = relay.status()
    assert_complete_and_in_order(records, appended)
    assert status["broker_losses"] == 1 and status["last_broker_loss"] is not None
    assert all(r.partition == declared_partition(topic, r.key) for r in records)


async def test_a_restarted_relay_knows_what_the_broker_had_acknowledged(
    store: PostgresEventStore, database: str, broker: LocalTansu
) -> None:
    """The acknowledged offsets are saved with the checkpoint: a relay that starts after the
    broker forgot (and has nothing new to send) still notices, and publishes again."""
    topic = f"test.forget.{uuid4().hex[:8]}"
    await ensure_topics(broker.bootstrap_servers, [topic])
    appended: list[UUID] = []
    await append(store, appended, 120)
    async with relay_for(store, database, broker, topic) as relay:
        assert await wait_for(lambda: _published(relay, 120), 15)
    await restart(broker)
    async with relay_for(store, database, broker, topic) as again:
        assert await wait_for(lambda: _published(again, 120), 15), again.status()
        records = await read_everything(broker.bootstrap_servers, topic, appended)
        assert again.broker_losses == 1
    assert_complete_and_in_order(records, appended)


async def _published(relay: Relay[StoredEvent], count: int) -> bool:
    return relay.published >= count


async def _trickle(store: PostgresEventStore, appended: list[UUID], count: int) -> None:
    for _ in range(count // 10):
        await append(store, appended, 10)
        await asyncio.sleep(0.05)


async def test_a_relay_with_nothing_published_makes_its_forgotten_topic_again(
    store: PostgresEventStore, database: str, broker: LocalTansu
) -> None:
    """Consumers of a topic the broker forgot wait on it: its relay makes it again (from the
    declaration) even when it has published nothing there yet."""
    topic = tenant_topic(f"idle-{uuid4().hex[:8]}")
    await ensure_topics(broker.bootstrap_servers, [topic])
    async with relay_for(store, database, broker, topic):
        await restart(broker)

        async def back() -> bool:
            admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
            await admin.start()
            try:
                return topic in await admin.list_topics()  # lists, never auto-creates
            finally:
                await admin.close()

        assert await wait_for(back, 10, interval=0.2), "the topic did not come back"
    # As declared: made by the relay, not by a client's auto-creation.
    assert await ensure_topics(broker.bootstrap_servers, [topic]) == []
