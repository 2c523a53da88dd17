"""Noticing a broker that has forgotten events it acknowledged.

The relay remembers, per topic partition, the offsets the broker acknowledged in its last
round of sends (saved with its checkpoint). Only the relay of the owning context writes its
topic, so those offsets only grow while the broker keeps its data. Two signs say it did not:
an acknowledgement at an offset below the one remembered (the partition started again), or,
when the relay checks every few seconds, a remembered topic that is gone or a partition whose
end offset is below the remembered one. Either way the relay publishes its store again from
the start (decision 0026).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from chassis.kafka_security import PLAINTEXT, KafkaSecurity


@dataclass(frozen=True)
class Acknowledged:
    """What the broker confirmed for one partition in the relay's last round of sends."""

    # The offset after the last message it acknowledged.
    next: int
    # The end offset a broker that kept everything reports at least: the round's first
    # offset + 1. Not `next`: Tansu 0.6.0 answers ListOffsets with the last record batch's
    # base offset + 1, below the true end when a batch held several messages (decision 0026).
    at_least: int


# topic -> partition -> what was acknowledged there last
Offsets = dict[str, dict[int, Acknowledged]]


def acknowledge_round(known: Offsets, acknowledged: Iterable[tuple[str, int, int]]) -> list[str]:
    """Record one round of (topic, partition, offset) acknowledgements; returns the topics
    where an offset fell below one acknowledged before (the broker lost that tail)."""
    rounds: dict[tuple[str, int], tuple[int, int]] = {}
    for topic, partition, offset in acknowledged:
        low, high = rounds.get((topic, partition), (offset, offset))
        rounds[(topic, partition)] = (min(low, offset), max(high, offset))
    forgotten: set[str] = set()
    for (topic, partition), (low, high) in rounds.items():
        previous = known.get(topic, {}).get(partition)
        if previous is not None and low < previous.next:
            forgotten.add(topic)
        known.setdefault(topic, {})[partition] = Acknowledged(next=high + 1, at_least=low + 1)
    return sorted(forgotten)


def lost_topics(known: Offsets, ends: Mapping[str, dict[int, int] | None]) -> list[str]:
    """The topics whose broker state is behind what it acknowledged: gone altogether, a
    partition missing, or an end offset below the one it must at least have."""
    lost = []
    for topic, partitions in sorted(known.items()):
        if not partitions:
            continue
        now = ends.get(topic)
        if now is None or any(now.get(p, -1) < mark.at_least for p, mark in partitions.items()):
            lost.append(topic)
    return lost


def to_json(offsets: Offsets) -> dict[str, dict[str, list[int]]]:
    return {
        topic: {str(p): [mark.next, mark.at_least] for p, mark in parts.items()}
        for topic, parts in offsets.items()
    }


def from_json(saved: Mapping[str, Mapping[str, list[int]]]) -> Offsets:
    return {
        topic: {int(p): Acknowledged(next=int(m[0]), at_least=int(m[1])) for p, m in parts.items()}
        for topic, parts in saved.items()
    }


class EndOffsets(Protocol):
    async def end_offsets(self, topics: Iterable[str]) -> dict[str, dict[int, int] | None]:
        """Each topic's partitions and their end offsets; None for a topic that is gone."""
        ...


class KafkaEndOffsets:
    """Reads end offsets with one metadata and one ListOffsets request per check.

    The metadata request lists every topic (it names none), so asking never makes a broker
    that auto-creates topics create a lost one.
    """

    def __init__(self, bootstrap: str, *, security: KafkaSecurity = PLAINTEXT) -> None:
        self._bootstrap = bootstrap
        self._security = security
        self._clients: tuple[AIOKafkaAdminClient, AIOKafkaConsumer] | None = None

    async def stop(self) -> None:
        clients, self._clients = self._clients, None
        if clients is not None:
            admin, consumer = clients
            with contextlib.suppress(Exception):
                await consumer.stop()
            with contextlib.suppress(Exception):
                await admin.close()

    async def _started(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._clients is None:
            options = self._security.client_options()
            admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, **options)
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap, enable_auto_commit=False, **options
            )
            self._clients = (admin, consumer)
            try:
                await admin.start()
                await consumer.start()
            except BaseException:
                await self.stop()
                raise
        return self._clients

    async def end_offsets(self, topics: Iterable[str]) -> dict[str, dict[int, int] | None]:
        try:
            return await self._end_offsets(set(topics))
        except BaseException:
            # Fresh clients next time: after a broker restart the old ones may hold on to
            # metadata of topics that are gone.
            await self.stop()
            raise

    async def _end_offsets(self, wanted: set[str]) -> dict[str, dict[int, int] | None]:
        admin, consumer = await self._started()
        metadata = {
            entry["topic"]: [p["partition"] for p in entry["partitions"]]
            for entry in await admin.describe_topics()
            if entry["topic"] in wanted and not entry["error_code"]
        }
        partitions = [TopicPartition(t, p) for t, ps in metadata.items() for p in ps]
        ends = await asyncio.wait_for(consumer.end_offsets(partitions), 15) if partitions else {}
        found: dict[str, dict[int, int] | None] = {topic: None for topic in wanted}
        for topic in metadata:
            found[topic] = {}
        for partition, offset in ends.items():
            found_partitions = found[partition.topic]
            assert found_partitions is not None
            found_partitions[partition.partition] = offset
        return found
