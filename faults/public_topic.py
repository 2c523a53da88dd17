"""Reading the tenants' path topics from their beginning, as a tenant's system would."""

from __future__ import annotations

import json
from dataclasses import dataclass
from uuid import UUID

from aiokafka import AIOKafkaConsumer

from chassis.kafka_security import PLAINTEXT
from chassis.rebuild import records_to_end
from contracts.topics import TENANT_TOPIC_PREFIX


@dataclass(frozen=True)
class PublicRecord:
    topic: str
    partition: int
    offset: int
    event_id: UUID
    path_ref: str


async def read_public(bootstrap: str, give_up_after: float = 120.0) -> list[PublicRecord]:
    """Every record on every tenant's path topic, in offset order per partition.

    The local stack is plaintext (PLAINTEXT, as its tests and benches); the records are read
    to their ends as a rebuild reads them (chassis.rebuild.records_to_end)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **PLAINTEXT.client_options(),
    )
    found: list[PublicRecord] = []
    try:
        await consumer.start()
        topics = sorted(
            topic for topic in await consumer.topics() if topic.startswith(TENANT_TOPIC_PREFIX)
        )
        async for fetched in records_to_end(consumer, topics, give_up_after, max_records=1000):
            for message in fetched:
                if message.value is None:
                    continue
                body = json.loads(message.value)
                found.append(
                    PublicRecord(
                        message.topic,
                        message.partition,
                        message.offset,
                        UUID(body["event_id"]),
                        str(body["path_ref"]),
                    )
                )
    finally:
        await consumer.stop()
    return sorted(found, key=lambda r: (r.topic, r.partition, r.offset))
