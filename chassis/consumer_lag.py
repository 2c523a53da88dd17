"""How far the service's consumer is behind its topics: events not yet handled, and how old
the oldest of them can be; in all and per tenant (readiness details and /metrics; issue 15,
decision 0040).

Fed the batches the consumer handled; the broker's high-water marks come from the consumer's
own fetches (aiokafka keeps the last one it saw per partition), so asking costs nothing.

What is known per partition: how many records wait (high-water mark less the next offset to
handle) and the newest event handled there. A record waiting on a partition was written after
the one handled last there, so its age is at most that event's age: the partition's seconds
behind are an upper bound, and exact to within the gap between two of its events.

Topics are shared by every tenant and a record's tenant is known only once it is read, so a
tenant's lag is an upper bound too: the records waiting on the partitions that carry that
tenant's paths (as seen in what was handled), and the oldest age among them. Every figure is 0
when nothing waits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiokafka import TopicPartition

from chassis.clock import utc_now
from chassis.consumer_recovery import HasConsumer, ReadRecord
from contracts.envelope import EventEnvelope

# The label of the figures over every tenant.
ALL_TENANTS = "all"


@dataclass(frozen=True)
class PartitionLag:
    """One partition: records waiting, the newest event handled, the tenants seen on it."""

    waiting: int
    newest: datetime | None = None
    tenants: frozenset[str] = field(default_factory=frozenset)

    def seconds(self, now: datetime) -> float:
        """At most how old its oldest waiting record is; 0 when none waits."""
        if not self.waiting or self.newest is None:
            return 0.0
        return max(0.0, (now - self.newest).total_seconds())


@dataclass(frozen=True)
class Behind:
    events: int
    seconds: float


def lag_by_tenant(partitions: Sequence[PartitionLag], now: datetime) -> dict[str, Behind]:
    """`ALL_TENANTS`: every waiting record and the oldest age; each tenant seen: the records
    waiting on the partitions that carry its paths, and the oldest age among them."""
    tenants = sorted({tenant for partition in partitions for tenant in partition.tenants})
    lags = {ALL_TENANTS: _behind(partitions, now)}
    for tenant in tenants:
        lags[tenant] = _behind([p for p in partitions if tenant in p.tenants], now)
    return lags


def _behind(partitions: Sequence[PartitionLag], now: datetime) -> Behind:
    return Behind(
        events=sum(p.waiting for p in partitions),
        seconds=round(max((p.seconds(now) for p in partitions), default=0.0), 1),
    )


class ConsumerLag:
    def __init__(self, subscriber: HasConsumer) -> None:
        self._subscriber = subscriber
        # The next offset per partition after the batches handled.
        self._next: dict[TopicPartition, int] = {}
        # The occurred_at of the newest event handled per partition, and its tenants.
        self._newest: dict[TopicPartition, datetime] = {}
        self._tenants: dict[TopicPartition, set[str]] = {}

    @property
    def started(self) -> bool:
        """Whether the consumer runs (readiness' consumer check)."""
        return self._subscriber.consumer is not None

    def handled(
        self,
        records: Iterable[ReadRecord],
        admitted: Iterable[tuple[ReadRecord, EventEnvelope]],
    ) -> None:
        """Note a handled batch: every record (refused ones too) and the events admitted."""
        for record in records:
            partition = TopicPartition(record.topic, record.partition)
            self._next[partition] = max(self._next.get(partition, 0), record.offset + 1)
        for record, event in admitted:
            partition = TopicPartition(record.topic, record.partition)
            newest = self._newest.get(partition)
            if newest is None or event.occurred_at > newest:
                self._newest[partition] = event.occurred_at
            self._tenants.setdefault(partition, set()).add(event.tenant)

    def partitions(self) -> list[PartitionLag] | None:
        """Each assigned partition's lag; None before the consumer has fetched."""
        consumer = self._subscriber.consumer
        if consumer is None:
            return None
        found: list[PartitionLag] = []
        for partition in consumer.assignment():
            highwater = consumer.highwater(partition)
            if highwater is None:
                continue
            # A partition this process has handled nothing of yet (just started, or just
            # assigned) counts as caught up until its first batch: a second or so.
            waiting = max(0, highwater - self._next.get(partition, highwater))
            found.append(
                PartitionLag(
                    waiting,
                    self._newest.get(partition),
                    frozenset(self._tenants.get(partition, ())),
                )
            )
        return found or None

    def by_tenant(self, now: datetime | None = None) -> dict[str, Behind] | None:
        """The lag in all (`ALL_TENANTS`) and per tenant seen; None before the first fetch.
        Ages are in business time, as the events' `occurred_at` (chassis.clock)."""
        partitions = self.partitions()
        if partitions is None:
            return None
        return lag_by_tenant(partitions, now or utc_now())

    def status(self, now: datetime | None = None) -> dict[str, Any]:
        """`events_behind` (None before the consumer has fetched) and `seconds_behind`: at most
        how old the oldest waiting event is, 0 when none waits."""
        lags = self.by_tenant(now)
        if lags is None:
            return {"events_behind": None, "seconds_behind": None}
        every = lags[ALL_TENANTS]
        return {"events_behind": every.events, "seconds_behind": every.seconds}
