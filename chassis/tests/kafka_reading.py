"""Reading a topic back in tests, with a plain consumer (no group: no 5 s join)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


async def read_until(
    bootstrap: str,
    topic: str,
    enough: Callable[[list[ConsumerRecord]], bool],
    within: float = 30.0,
) -> list[ConsumerRecord]:
    """Every record of `topic` from the start, until `enough(records)` holds or `within`
    seconds have passed (the caller's assertions then tell what was missing)."""
    deadline = time.monotonic() + within
    partitions = await _partitions_when_there(bootstrap, topic, deadline)
    assert partitions, f"topic {topic} has no partitions"
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        assigned = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        while not enough(records) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for messages in batch.values():
                records.extend(messages)
    finally:
        await consumer.stop()
    return records


async def _partitions_when_there(bootstrap: str, topic: str, deadline: float) -> list[int]:
    """The topic's partitions once it exists, asked afresh each time: a consumer's own
    metadata keeps the topics it saw when it started (`topics()` does not refresh it), so a
    topic made a moment later, as after a broker restart, would never appear to it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        while True:
            (described,) = await admin.describe_topics([topic])
            if described["error_code"] == 0 and described["partitions"]:
                return sorted(p["partition"] for p in described["partitions"])
            if time.monotonic() >= deadline:
                return []
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def read_topic(
    bootstrap: str, topic: str, expected: int, within: float = 30.0
) -> list[ConsumerRecord]:
    """Every record of `topic` from the start, until `expected` have arrived (or timeout)."""
    return await read_until(bootstrap, topic, lambda records: len(records) >= expected, within)
