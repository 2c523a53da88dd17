"""The relay: publishes a store's events to Kafka in the store's order, at least once.

It reads after its saved position, sends a batch, waits until the broker has acknowledged
every message of it, and only then saves the new position. A crash between sending and saving
sends the batch again on restart; consumers drop those duplicates by stream version.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import asyncpg
from aiokafka import AIOKafkaProducer

from chassis.event_store import GlobalPosition, PostgresEventStore, StoredEvent
from chassis.kafka_wire import encode_event, event_headers
from chassis.logs import get_logger

log = get_logger(__name__)

TopicChooser = Callable[[StoredEvent], list[str]]


MAX_RETRY_DELAY = 30.0


def retry_delay(failures: int) -> float:
    """Seconds to wait after the n-th failure in a row: 1, 2, 4, … up to 30."""
    return min(MAX_RETRY_DELAY, 2.0 ** (failures - 1))


class RelayCheckpoints:
    """The relay's saved position, in the same database as the store it reads."""

    def __init__(self, pool: asyncpg.Pool, relay_name: str) -> None:
        self._pool = pool
        self._name = relay_name

    async def load(self) -> GlobalPosition:
        row = await self._pool.fetchrow(
            "SELECT tx_id::text::bigint AS tx_id, position FROM relay_checkpoints"
            " WHERE relay_name = $1",
            self._name,
        )
        return GlobalPosition(row["tx_id"], row["position"]) if row else GlobalPosition.start()

    async def save(self, position: GlobalPosition) -> None:
        await self._pool.execute(
            "INSERT INTO relay_checkpoints (relay_name, tx_id, position)"
            " VALUES ($1, $2::text::xid8, $3)"
            " ON CONFLICT (relay_name) DO UPDATE"
            " SET tx_id = EXCLUDED.tx_id, position = EXCLUDED.position, updated_at = now()",
            self._name,
            str(position.tx_id),
            position.position,
        )


class Relay:
    def __init__(
        self,
        store: PostgresEventStore,
        producer: AIOKafkaProducer,
        topics: TopicChooser,
        *,
        name: str,
        batch_size: int = 500,
        idle_seconds: float = 0.05,
    ) -> None:
        self._store = store
        self._producer = producer
        self._topics = topics
        self._checkpoints = RelayCheckpoints(store.pool, name)
        self._batch_size = batch_size
        self._idle_seconds = idle_seconds
        self._position: GlobalPosition | None = None
        self.published = 0

    async def publish_batch(self) -> int:
        """Publish the next batch; returns how many events it held (0 when caught up)."""
        if self._position is None:
            self._position = await self._checkpoints.load()
        batch = await self._store.read_all(self._position, limit=self._batch_size)
        if not batch:
            return 0
        deliveries = []
        for stored in batch:
            envelope = stored.envelope
            for topic in self._topics(stored):
                deliveries.append(
                    await self._producer.send(
                        topic,
                        value=encode_event(envelope),
                        key=envelope.stream_id.encode(),
                        headers=event_headers(envelope),
                    )
                )
        await asyncio.gather(*deliveries)
        self._position = batch[-1].position
        await self._checkpoints.save(self._position)
        self.published += len(batch)
        return len(batch)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; sleep briefly whenever there is nothing new."""
        log.info("relay started")
        failures = 0
        while not stop.is_set():
            try:
                sent = await self.publish_batch()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The broker or the database is away: keep the position and try again, less
                # often the longer it lasts, and stop at once when asked to. The traceback is
                # logged once per outage, not once per retry.
                failures += 1
                if failures == 1:
                    log.exception("relay batch failed; retrying")
                else:
                    log.warning("relay batch failed again", failures=failures)
                self._position = None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), retry_delay(failures))
                continue
            if failures:
                log.info("relay recovered", failures=failures)
                failures = 0
            if sent < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._idle_seconds)
        log.info("relay stopped", published=self.published)
