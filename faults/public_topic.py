"""Reading the public topics from their beginning, as an outside subscriber would."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from uuid import UUID

from aiokafka import AIOKafkaConsumer, TopicPartition

from chassis.kafka_security import PLAINTEXT

PUBLIC_PREFIX = "digipolku.public."


@dataclass(frozen=True)
class PublicRecord:
    topic: str
    partition: int
    offset: int
    event_id: UUID
    path_ref: str


async def read_public(bootstrap: str, give_up_after: float = 120.0) -> list[PublicRecord]:
    """Every record on every public topic, in offset order per partition.

    The local stack is plaintext (PLAINTEXT, as its tests and benches). A partition's end is
    the larger of ListOffsets and the first fetch's high watermark (Tansu answers the former
    too small; see chassis.rebuild)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **PLAINTEXT.client_options(),
    )
    found: list[PublicRecord] = []
    try:
        await consumer.start()
        topics = [topic for topic in await consumer.topics() if topic.startswith(PUBLIC_PREFIX)]
        partitions = [
            TopicPartition(topic, partition)
            for topic in sorted(topics)
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        listed = await consumer.end_offsets(partitions)
        first = await consumer.beginning_offsets(partitions)
        ends = {tp: end for tp, end in listed.items() if first[tp] >= end}

        async def finished() -> bool:
            for tp in partitions:
                if tp not in ends or await consumer.position(tp) < ends[tp]:
                    return False
            return True

        async with asyncio.timeout(give_up_after):
            while not await finished():
                batch = await consumer.getmany(timeout_ms=500, max_records=1000)
                for tp, messages in batch.items():
                    if tp not in ends:
                        ends[tp] = max(listed[tp], consumer.highwater(tp) or 0)
                    for message in messages:
                        if message.offset >= ends[tp] or message.value is None:
                            continue
                        body = json.loads(message.value)
                        found.append(
                            PublicRecord(
                                tp.topic,
                                tp.partition,
                                message.offset,
                                UUID(body["event_id"]),
                                str(body["path_ref"]),
                            )
                        )
    finally:
        await consumer.stop()
    return sorted(found, key=lambda r: (r.topic, r.partition, r.offset))
