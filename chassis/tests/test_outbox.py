"""The outbox (decision 0030): a message is stored once however often its policy runs, read in
commit order without passing over a transaction still running, and its relay makes a new
topic as declared and fills a broker that forgot everything again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient

from chassis.event_store import GlobalPosition
from chassis.kafka_security import PLAINTEXT
from chassis.kafka_wire import declared_partition
from chassis.outbox import Outbox, OutboxMessage, outbox_messages
from chassis.relay_runtime import RunningRelay, start_relay
from chassis.tests.kafka_reading import read_until
from chassis.tests.waiting import wait_for
from contracts.topics import tenant_topic, topic_spec
from deploy.local_stack import LocalTansu


def message(topic: str, key: str, n: int) -> OutboxMessage:
    return OutboxMessage(uuid4(), topic, key.encode(), json.dumps({"n": n}).encode())


async def test_a_message_is_stored_once_however_often_it_is_added(pool: asyncpg.Pool) -> None:
    outbox = Outbox(pool)
    first = message("test.outbox.once", "k", 1)
    assert await outbox.add(first)
    assert not await outbox.add(first)  # a redelivered event's policy ran again
    stored = await outbox.read_all(GlobalPosition.start())
    assert [s.message for s in stored].count(first) == 1


async def test_a_running_transaction_holds_back_what_committed_after_it(
    pool: asyncpg.Pool,
) -> None:
    """Positions are taken before commit: a reader that skipped the open transaction's row
    would never see it. Nothing after it is read until it has ended."""
    outbox = Outbox(pool)
    start = await outbox.read_all(GlobalPosition.start())
    after = start[-1].position if start else GlobalPosition.start()
    early, late = message("test.outbox.order", "k", 1), message("test.outbox.order", "k", 2)
    async with pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        await outbox.add(early, connection=connection)
        await outbox.add(late)  # commits first, with a later transaction id
        assert await outbox.read_all(after) == []
        await transaction.commit()
    assert [s.message for s in await outbox.read_all(after)] == [early, late]


@pytest.fixture
async def relaying(
    pool: asyncpg.Pool, database: str, broker: LocalTansu
) -> AsyncIterator[RunningRelay]:
    running = await start_relay(
        Outbox(pool),
        outbox_messages,
        name=f"outbox-{uuid4().hex[:6]}",
        database_url=database,
        bootstrap=broker.bootstrap_servers,
        security=PLAINTEXT,
        environment="development",
        batch_size=50,
        idle_seconds=0.02,
        check_before_each_batch=True,
    )
    try:
        yield running
    finally:
        await running.stop()


async def test_the_relay_makes_a_new_topic_as_declared_and_refills_a_forgetful_broker(
    pool: asyncpg.Pool, broker: LocalTansu, relaying: RunningRelay
) -> None:
    """A tenant's public topic first appears with its first message: the relay makes it from
    the declaration (not the broker's auto-creation), and after the broker has lost
    everything, every message is on it again, each key's in order."""
    outbox, relay = Outbox(pool), relaying.relay
    topic = tenant_topic(f"outbox-{uuid4().hex[:8]}")
    sent = [message(topic, f"path-{n % 7}", n) for n in range(120)]
    for item in sent[:80]:
        await outbox.add(item)
    assert await wait_for(lambda: _published(relay.published, 80), 15)
    spec = topic_spec(topic)
    assert spec is not None
    assert await _partitions(broker.bootstrap_servers, topic) == spec.partitions
    await asyncio.to_thread(broker.restart)  # every topic, message and offset is gone
    for item in sent[80:]:
        await outbox.add(item)

    def everything(records: list[ConsumerRecord]) -> bool:
        return {json.loads(r.value)["n"] for r in records} >= set(range(120))

    assert await wait_for(lambda: _published(relay.broker_losses, 1), 30), relay.status()
    records = await read_until(broker.bootstrap_servers, topic, everything, within=30)
    numbers = [json.loads(r.value)["n"] for r in records]
    assert set(numbers) == set(range(120)), sorted(set(range(120)) - set(numbers))
    for key in {r.key for r in records}:
        of_key = [json.loads(r.value)["n"] for r in records if r.key == key]
        firsts = list(dict.fromkeys(of_key))  # a republished run repeats; order must hold
        assert firsts == sorted(firsts), key
    # After the restart a client's metadata request may auto-create the topic with the
    # broker's own count before the relay makes it again (the relay then leaves it, as
    # chassis.topic_config says): each key must still be on its declared partition.
    assert all(r.partition == declared_partition(topic, r.key) for r in records)


async def _published(value: int, at_least: int) -> bool:
    return value >= at_least


async def _partitions(bootstrap: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
        return len(described["partitions"])
    finally:
        await admin.close()
