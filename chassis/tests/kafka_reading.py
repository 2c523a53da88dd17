"""Reading a topic back in tests, with a plain consumer (no group: no 5 s join)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition


async def read_until(
    bootstrap: str,
    topic: str,
    enough: Callable[[list[ConsumerRecord]], bool],
    within: float = 30.0,
) -> list[ConsumerRecord]:
    """Every record of `topic` from the start, until `enough(records)` holds or `within`
    seconds have passed (the caller's assertions then tell what was missing)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        deadline = time.monotonic() + within
        partitions: set[int] | None = None
        while partitions is None and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if partitions is None:
                await consumer.topics()
                await asyncio.sleep(0.1)
        assert partitions, f"topic {topic} has no partitions"
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        while not enough(records) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for messages in batch.values():
                records.extend(messages)
    finally:
        await consumer.stop()
    return records


async def read_topic(
    bootstrap: str, topic: str, expected: int, within: float = 30.0
) -> list[ConsumerRecord]:
    """Every record of `topic` from the start, until `expected` have arrived (or timeout)."""
    return await read_until(bootstrap, topic, lambda records: len(records) >= expected, within)
