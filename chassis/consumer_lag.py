"""How far the service's consumer is behind its topics: events not yet handled, and how old
the newest handled event is while some are waiting (readiness details; issue 15).

Fed the batches the consumer handled; the broker's high-water marks come from the consumer's
own fetches (aiokafka keeps the last one it saw per partition), so asking costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from aiokafka import TopicPartition

from chassis.consumer_recovery import HasConsumer, ReadRecord
from contracts.envelope import EventEnvelope


class ConsumerLag:
    def __init__(self, subscriber: HasConsumer) -> None:
        self._subscriber = subscriber
        # The next offset per partition after the batches handled.
        self._next: dict[TopicPartition, int] = {}
        self._newest: datetime | None = None

    def handled(self, records: Iterable[ReadRecord], events: Iterable[EventEnvelope]) -> None:
        for record in records:
            partition = TopicPartition(record.topic, record.partition)
            self._next[partition] = max(self._next.get(partition, 0), record.offset + 1)
        for event in events:
            if self._newest is None or event.occurred_at > self._newest:
                self._newest = event.occurred_at

    def status(self, now: datetime | None = None) -> dict[str, Any]:
        """`events_behind` (None before the consumer has fetched) and `seconds_behind`: the
        age of the newest event handled while events wait, 0 when none do."""
        consumer = self._subscriber.consumer
        if consumer is None:
            return {"events_behind": None, "seconds_behind": None}
        behind = 0
        known = False
        for partition in consumer.assignment():
            highwater = consumer.highwater(partition)
            if highwater is None:
                continue
            known = True
            # A partition this process has handled nothing of yet (just started, or just
            # assigned) counts as caught up until its first batch: a second or so.
            behind += max(0, highwater - self._next.get(partition, highwater))
        if not known:
            return {"events_behind": None, "seconds_behind": None}
        seconds = 0.0
        if behind and self._newest is not None:
            seconds = max(0.0, ((now or datetime.now(UTC)) - self._newest).total_seconds())
        return {"events_behind": behind, "seconds_behind": round(seconds, 1)}
