"""A consumer group that finds what it skipped when the broker forgot (decision 0027).

A memory-only broker (Tansu here) that restarts has lost its topics, messages and committed
offsets; real Kafka can lose them too (an unclean leader election, a deleted topic). The
relay then publishes everything again from its event store, and the consumer must read the
refilled partitions from their beginning; the projectors drop what they already applied.

aiokafka does most of it: the restarted broker no longer knows the group's member, the next
heartbeat fails, the consumer rejoins, finds no committed offset and starts at the earliest
one (`auto_offset_reset`); a position beyond a partition's end is answered with
OFFSET_OUT_OF_RANGE, which resets it the same way. What it cannot see is a refilled partition
that had grown past its old position before it looked, so it reads on from the middle. Two
signals catch that, and either seeks the partition to its beginning:

- the group's committed offset of a partition we had committed is gone (seen on two checks in
  a row, so a commit still on its way after our first batch is not mistaken for it);
- a projector has held a stream back for a gap (a later version without the one before it)
  for longer than `gap_seconds`: the earlier event sits before our position.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from aiokafka import TopicPartition

from chassis.dead_letters import StreamKey
from chassis.logs import get_logger
from chassis.projector import Projector

log = get_logger(__name__)

# A gap this old is not the relay's resend on its way: the missing event is behind us.
GAP_SECONDS = 20.0
CHECK_SECONDS = 5.0


class HasConsumer(Protocol):
    """FastStream's subscriber: its aiokafka consumer once started, else None."""

    consumer: Any


class ReadRecord(Protocol):
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...


class ConsumerRecovery:
    def __init__(
        self,
        subscriber: HasConsumer,
        projectors: Callable[[], Sequence[Projector]],
        *,
        gap_seconds: float | None = None,
        check_seconds: float | None = None,
    ) -> None:
        self._subscriber = subscriber
        self._projectors = projectors
        self.gap_seconds = GAP_SECONDS if gap_seconds is None else gap_seconds
        self.check_seconds = CHECK_SECONDS if check_seconds is None else check_seconds
        # The next offset per partition after batches we handled (and so acknowledged).
        self._handled: dict[TopicPartition, int] = {}
        self._partition_of: dict[StreamKey, TopicPartition] = {}
        self._suspect: set[TopicPartition] = set()
        self.seeks = 0

    def handled(self, records: Iterable[ReadRecord]) -> None:
        """Note a handled batch: where each partition now stands and where each stream lives."""
        for record in records:
            partition = TopicPartition(record.topic, record.partition)
            self._handled[partition] = max(self._handled.get(partition, 0), record.offset + 1)
            if record.key is not None:
                stream = record.key.decode(errors="replace")
                self._partition_of[(record.topic, stream)] = partition

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.check()
            except Exception as exc:  # the coordinator away, say: the next check tries again
                log.warning("consumer recovery check failed", error=type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.check_seconds)

    async def check(self) -> list[TopicPartition]:
        """Seek the partitions the broker forgot, or that hide a stream's missing event, to
        their beginning; returns them."""
        consumer = self._subscriber.consumer
        if consumer is None:
            return []
        assigned: set[TopicPartition] = set(consumer.assignment())
        reasons: dict[TopicPartition, str] = {}
        for partition in sorted(assigned & self._handled.keys()):
            committed = await asyncio.wait_for(consumer.committed(partition), 5.0)
            if committed is not None:
                self._suspect.discard(partition)
            elif partition in self._suspect:
                reasons[partition] = "the group's committed offset vanished"
            else:
                self._suspect.add(partition)
        now = time.monotonic()
        for projector in self._projectors():
            for key, since in list(projector.gaps.items()):
                partition = self._partition_of.get(key)
                if partition in assigned and now - since > self.gap_seconds:
                    reasons.setdefault(partition, "a stream is held back for a gap")
                    projector.gaps[key] = now  # another full wait before seeking again
        for partition, reason in sorted(reasons.items()):
            log.warning(
                "the broker forgot what this consumer had read; reading the partition again",
                topic=partition.topic,
                partition=partition.partition,
                reason=reason,
                position=self._handled.get(partition),
            )
            await consumer.seek_to_beginning(partition)
            self._handled.pop(partition, None)
            self._suspect.discard(partition)
            self.seeks += 1
        return sorted(reasons)
