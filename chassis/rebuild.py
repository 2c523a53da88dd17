"""Rebuilding a projection from zero: empty its tables, replay its topics from the start.

A plain consumer (no consumer group: nothing to join, no offsets to disturb) reads every
partition from the beginning up to the end it found on starting, and hands each fetched batch
to the same Projector that serves live traffic, so the rebuilt read model is made by the very
code that made the live one. Messages produced after the start are left to the live consumer
(the projector's stream-version tracking makes the overlap harmless). While a rebuild runs,
the live consumer's batches wait on the projection's rebuild lock. A replay passes every
message through the same gate as the live consumer (chassis.event_admission), so an event
refused live is refused again, and never applied, on a rebuild.

`rebuild` empties the live tables first: for a service's start, before anything reads them.
A running system is rebuilt beside its live tables instead (chassis.blue_green).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from chassis.event_admission import admit, decode
from chassis.event_store import EventStore, GlobalPosition
from chassis.kafka_security import PLAINTEXT, KafkaSecurity
from chassis.logs import get_logger
from chassis.projector import Projector
from contracts.envelope import EventEnvelope

log = get_logger(__name__)

# Messages per fetch, and so per transaction: large enough that the commit and the tracking
# statements are a small share of a batch, small enough to keep transactions short.
REPLAY_BATCH = 1000


@dataclass
class Extent:
    """Where a replay starts and the ends it found: a blue/green rebuild replays in two legs,
    the second from where the first stopped (chassis.blue_green).

    `start`: the offset to begin each partition at (the beginning for a partition not named).
    `ends` and `total` are filled while reading: the end of each partition, and how many
    messages lie between the starts and the ends (an estimate, for progress, until every
    partition has been fetched from once).
    """

    start: dict[TopicPartition, int] = field(default_factory=dict)
    ends: dict[TopicPartition, int] = field(default_factory=dict)
    total: int = 0


async def records_to_end(
    consumer: AIOKafkaConsumer,
    topics: Sequence[str],
    give_up_after: float,
    max_records: int,
    extent: Extent | None = None,
) -> AsyncIterator[list[ConsumerRecord[bytes, bytes]]]:
    """Every record the topics held when this started, one list per fetch, in offset order
    per partition, from a started consumer of no group (it is assigned every partition);
    from `extent.start` on where given.

    The end of a partition is the larger of ListOffsets(latest) and the high watermark of the
    first fetch from it. Kafka answers both alike; Tansu answers ListOffsets(latest) with the
    base offset of the partition's last record batch plus one (too small whenever that batch
    holds more than one record), while its fetch high watermark is right. Raises TimeoutError
    when the ends are not reached within `give_up_after` seconds.
    """
    extent = Extent() if extent is None else extent
    await consumer.topics()  # refresh metadata so every partition is known
    partitions = [
        TopicPartition(topic, partition)
        for topic in topics
        for partition in sorted(consumer.partitions_for_topic(topic) or ())
    ]
    if not partitions:
        return
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    listed = await consumer.end_offsets(partitions)
    first = await consumer.beginning_offsets(partitions)
    for tp, offset in extent.start.items():
        if tp in first:
            consumer.seek(tp, offset)
            first[tp] = offset
    # A partition read from its beginning is done at once when empty; any other (one read
    # from a given offset, which Tansu's too small ListOffsets may place past its listed
    # end) once a fetch has told its high watermark and its position has reached it.
    extent.ends = {
        tp: end for tp, end in listed.items() if tp not in extent.start and first[tp] >= end
    }
    extent.total = sum(max(0, listed[tp] - first[tp]) for tp in partitions)

    def learn_ends() -> None:
        for tp in partitions:
            highwater = consumer.highwater(tp)
            if tp not in extent.ends and highwater is not None:
                extent.ends[tp] = max(listed[tp], highwater)
                extent.total += max(0, extent.ends[tp] - first[tp]) - max(0, listed[tp] - first[tp])

    async def finished() -> bool:
        for tp in partitions:
            if tp not in extent.ends or await consumer.position(tp) < extent.ends[tp]:
                return False
        return True

    async with asyncio.timeout(give_up_after):
        while not await finished():
            batch = await consumer.getmany(timeout_ms=500, max_records=max_records)
            learn_ends()
            fetched: list[ConsumerRecord[bytes, bytes]] = []
            for tp, messages in batch.items():
                fetched += [message for message in messages if message.offset < extent.ends[tp]]
            for tp, end in extent.ends.items():
                if await consumer.position(tp) >= end:
                    consumer.pause(tp)  # later messages are not this reading's
            yield fetched


async def replay_topics(
    bootstrap: str,
    topics: Sequence[str],
    projector: Projector | Sequence[Projector],
    give_up_after: float = 300.0,
    progress: Callable[[int], None] | None = None,
    *,
    security: KafkaSecurity = PLAINTEXT,
    service: str = "rebuild",
    extent: Extent | None = None,
) -> int:
    """Apply every event the topics held at the start; returns how many messages were read.

    Each fetched batch goes to every projector in one transaction per projector, as the
    live consumer does. `progress`, when given, is told the messages read so far after each
    batch. `security` is the service's own (the plaintext default is the local broker's);
    `service` names the refusals it logs and counts. Messages are read as `records_to_end`
    reads them (it raises TimeoutError when the ends are not reached in `give_up_after` s),
    from `extent.start` when given; `extent` then tells the ends reached and the total.
    """
    projectors = [projector] if isinstance(projector, Projector) else list(projector)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **security.client_options(),
    )
    read = 0
    # The batch being written while the next is fetched and decoded: the database and this
    # process work at the same time, and batches are still written one after another.
    writing: asyncio.Task[None] | None = None
    try:
        await consumer.start()  # inside: a refused connection still stops the consumer
        async for fetched in records_to_end(consumer, topics, give_up_after, REPLAY_BATCH, extent):
            items: list[tuple[str, EventEnvelope]] = []
            for message in fetched:
                read += 1  # a refused message is read too
                event = decode(message)
                if admit(service, message, event):
                    assert event is not None  # admit refuses what is not an envelope
                    items.append((message.topic, event))
            if writing is not None:
                await writing
            writing = asyncio.create_task(_write(projectors, items))
            if progress is not None and items:
                progress(read)
        if writing is not None:
            await writing
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writing
        await consumer.stop()
    names = [each.projection.name for each in projectors]
    log.info("replayed", projections=names, messages=read)
    return read


async def _write(projectors: Sequence[Projector], items: list[tuple[str, EventEnvelope]]) -> None:
    for each in projectors:
        await each.handle_batch(items)


async def rebuild(
    projector: Projector,
    bootstrap: str,
    topics: Sequence[str],
    *,
    security: KafkaSecurity = PLAINTEXT,
    service: str = "rebuild",
) -> int:
    """Empty the projection's tables and tracking, then replay its topics from the start.

    The live consumer's batches wait while this runs (the projection's rebuild lock), and
    apply afterwards whatever the replay did not already apply. A rebuild longer than the
    consumer's max poll interval makes the group rebalance; the redelivery that follows is
    dropped as repeats.
    """
    async with projector.rebuild_lock():
        await projector.reset()
        return await replay_topics(
            bootstrap, topics, projector.replaying(), security=security, service=service
        )


async def replay_store(
    store: EventStore,
    projector: Projector,
    source: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Apply every event of the service's own store, in its global order, as if consumed
    from `source` (the topic the relay publishes them to); returns how many were read.

    For a read model kept inline by the service's commands: its events never need the broker,
    and the store, unlike a memory broker, never forgets.
    """
    position = GlobalPosition.start()
    read = 0
    while stored := await store.read_all(position, REPLAY_BATCH):
        await projector.handle_batch([(source, each.envelope) for each in stored])
        position = stored[-1].position
        read += len(stored)
        if progress is not None:
            progress(read)
    log.info("replayed from the store", projection=projector.projection.name, events=read)
    return read


async def rebuild_from_store(projector: Projector, store: EventStore, source: str) -> int:
    """Empty the projection and replay the service's own store into it; commands that keep
    it inline wait meanwhile (the rebuild lock) and apply their events after."""
    async with projector.rebuild_lock():
        await projector.reset()
        return await replay_store(store, projector.replaying(), source)


async def rebuild_if_untracked(projector: Projector, store: EventStore, source: str) -> int:
    """Rebuild an inline projection from the store when it tracks nothing yet the store holds
    events: it was made before it was tracked, or emptied. Returns the events replayed."""
    if await projector.tracks_anything():
        return 0
    if not await store.read_all(GlobalPosition.start(), 1):
        return 0
    return await rebuild_from_store(projector, store, source)
