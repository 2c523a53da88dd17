"""A relay with everything it runs with: its producer, its lock, its broker check.

The service's lifespan and `python -m chassis.relay_main` both start their relay here, so a
relay inside a service and one on its own lead, check the broker and stop the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chassis.broker_watch import KafkaEndOffsets
from chassis.kafka_security import KafkaSecurity
from chassis.kafka_wire import ensure_topics, event_producer
from chassis.relay import Item, MessageMaker, Relay, RelaySource
from chassis.relay_leader import RelayLeadership
from contracts.topics import Environment


@dataclass
class RunningRelay:
    relay: Relay[Any]
    task: asyncio.Task[None]
    stop_event: asyncio.Event
    _closers: list[contextlib.AsyncExitStack]

    async def stop(self) -> None:
        """Let the batch in flight finish, give the lock up, close the Kafka clients."""
        self.stop_event.set()
        try:
            await self.task
        finally:
            for closer in self._closers:
                await closer.aclose()


async def start_relay(
    source: RelaySource[Item],
    messages: MessageMaker[Item],
    *,
    name: str,
    database_url: str,
    bootstrap: str,
    security: KafkaSecurity,
    environment: Environment,
    batch_size: int,
    idle_seconds: float,
    stop: asyncio.Event | None = None,
    own_topics: Sequence[str] = (),
    check_before_each_batch: bool = False,
) -> RunningRelay:
    """Start the producer and the relay's task; the relay leads only while it holds the
    store's lock (a standby waits), and checks every couple of seconds that the broker still
    has what it acknowledged."""
    closers = contextlib.AsyncExitStack()
    try:
        producer = event_producer(bootstrap, security=security)
        await producer.start()
        closers.push_async_callback(producer.stop)
        end_offsets = KafkaEndOffsets(bootstrap, security=security)
        closers.push_async_callback(end_offsets.stop)

        async def recreate(lost: list[str]) -> None:
            await ensure_topics(bootstrap, lost, security=security, environment=environment)

        relay = Relay(
            source,
            producer,
            messages,
            name=name,
            batch_size=batch_size,
            idle_seconds=idle_seconds,
            leadership=RelayLeadership.for_database(database_url, name),
            end_offsets=end_offsets,
            recreate_topics=recreate,
            own_topics=own_topics,
            check_before_each_batch=check_before_each_batch,
        )
    except BaseException:
        await closers.aclose()
        raise
    stop_event = stop or asyncio.Event()
    task = asyncio.create_task(relay.run(stop_event), name=f"{name}-relay")
    return RunningRelay(relay, task, stop_event, [closers])
