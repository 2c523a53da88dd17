"""Rebuilding a projection from zero: empty its tables, replay its topics from the start.

A plain consumer (no consumer group: nothing to join, no offsets to disturb) reads every
partition from the beginning up to the end offsets it found on starting, and hands each event
to the same Projector that serves live traffic, so the rebuilt read model is made by the very
code that made the live one.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

from chassis.kafka_wire import decode_event
from chassis.logs import get_logger
from chassis.projector import Projector

log = get_logger(__name__)


async def replay_topics(
    bootstrap: str, topics: Sequence[str], projector: Projector, quiet_ms: int = 1000
) -> int:
    """Apply every event now in `topics`; returns how many messages were read.

    It reads until every partition has passed the end offset reported at the start and no
    message has come for `quiet_ms`. The second condition is there because Tansu answers
    ListOffsets(latest) with a wrong, too small offset; on Kafka the first alone suffices.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    read = 0
    try:
        await consumer.topics()  # refresh metadata so every partition is known
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return 0
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        reached = {tp: end[tp] == 0 for tp in partitions}
        while True:
            batch = await consumer.getmany(timeout_ms=quiet_ms)
            if not batch and all(reached.values()):
                break
            for tp, messages in batch.items():
                for message in messages:
                    await projector.handle(tp.topic, decode_event(message.value))
                    read += 1
                reached[tp] = reached[tp] or await consumer.position(tp) >= end[tp]
    finally:
        await consumer.stop()
    log.info("replayed", projection=projector.projection.name, messages=read)
    return read


async def rebuild(projector: Projector, bootstrap: str, topics: Sequence[str]) -> int:
    await projector.reset()
    return await replay_topics(bootstrap, topics, projector)
