"""How far a consumer is behind, against the real broker: the high-water marks its fetches saw,
less what it handled; and how old the newest handled event is while others wait."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from chassis.consumer_lag import ConsumerLag
from chassis.tests.factories import envelope
from deploy.test_infrastructure import TestInfrastructure


@dataclass
class Subscriber:
    """What FastStream's subscriber gives: its started aiokafka consumer."""

    consumer: Any


async def test_the_lag_is_what_the_broker_has_less_what_was_handled(
    infrastructure: TestInfrastructure,
) -> None:
    bootstrap = infrastructure.kafka_bootstrap
    topic = f"test.lag.{uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for n in range(30):
            await producer.send_and_wait(topic, f"{n}".encode(), key=b"k", partition=0)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        lag = ConsumerLag(Subscriber(consumer))
        assert lag.status() == {"events_behind": None, "seconds_behind": None}  # not fetched
        fetched: list[ConsumerRecord[bytes, bytes]] = []
        async with asyncio.timeout(30):
            while len(fetched) < 10:
                batch = await consumer.getmany(timeout_ms=500, max_records=10 - len(fetched))
                fetched += [record for records in batch.values() for record in records]
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
        event = envelope("s").model_copy(update={"occurred_at": an_hour_ago})
        lag.handled(fetched, [(fetched[-1], event)])
        status = lag.status()
        assert status["events_behind"] == 20
        assert 3590 <= status["seconds_behind"] <= 3700
        rest: list[ConsumerRecord[bytes, bytes]] = []
        async with asyncio.timeout(30):
            while len(rest) < 20:
                batch = await consumer.getmany(timeout_ms=500)
                rest += [record for records in batch.values() for record in records]
        lag.handled(rest, [])
        assert lag.status() == {"events_behind": 0, "seconds_behind": 0.0}
    finally:
        await consumer.stop()
