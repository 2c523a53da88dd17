"""Projectors: apply each event to a read model once, with the checkpoint in the same
transaction as the change.

Kafka delivers at least once (and a broker restart or a relay crash can deliver again from
anywhere), so offsets cannot be the guard. Every stream's events arrive in stream-version
order on one partition; the projector remembers, per source topic and stream, the last version
it applied, and skips anything at or below it. That row is written in the transaction that
changes the read model, so a crash either keeps both or neither.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import asyncpg

from chassis.event_store import DbConnection
from chassis.logs import get_logger
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from contracts.registry import parse_payload

log = get_logger(__name__)

Handler = Callable[[DbConnection, EventEnvelope], Awaitable[None]]
E = TypeVar("E", bound=EventModel)
TypedHandler = Callable[[DbConnection, EventEnvelope, E], Awaitable[None]]


def typed(model: type[E], apply: TypedHandler[E]) -> tuple[str, Handler]:
    """A handler entry that receives the event parsed (and upcast) as its model."""

    async def handler(connection: DbConnection, envelope: EventEnvelope) -> None:
        event = parse_payload(envelope)
        assert isinstance(event, model), f"{envelope.event_type} is not {model.__name__}"
        await apply(connection, envelope, event)

    return model.event_type, handler


@dataclass(frozen=True)
class Projection:
    """A read model: its name, the tables it owns, and what it does with each event type."""

    name: str
    tables: Sequence[str]
    handlers: dict[str, Handler]


class Projector:
    def __init__(self, pool: asyncpg.Pool, projection: Projection) -> None:
        self._pool = pool
        self.projection = projection

    async def handle(self, source: str, envelope: EventEnvelope) -> bool:
        """Apply one event; returns False when it was a duplicate (or of no interest)."""
        handler = self.projection.handlers.get(envelope.event_type)
        async with self._pool.acquire() as connection, connection.transaction():
            last = await connection.fetchval(
                "SELECT stream_version FROM projection_tracking"
                " WHERE projection = $1 AND source = $2 AND stream_id = $3 FOR UPDATE",
                self.projection.name,
                source,
                envelope.stream_id,
            )
            if last is not None and envelope.stream_version <= last:
                log.debug("duplicate event dropped", event_id=str(envelope.event_id))
                return False
            if last is not None and envelope.stream_version > last + 1:
                log.warning(
                    "stream version gap",
                    stream_id=envelope.stream_id,
                    last=last,
                    received=envelope.stream_version,
                )
            if handler is not None:
                await handler(connection, envelope)
            await connection.execute(
                "INSERT INTO projection_tracking (projection, source, stream_id, stream_version)"
                " VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (projection, source, stream_id)"
                " DO UPDATE SET stream_version = EXCLUDED.stream_version",
                self.projection.name,
                source,
                envelope.stream_id,
                envelope.stream_version,
            )
        return handler is not None

    async def reset(self) -> None:
        """Empty the read model and forget what was applied: the start of a rebuild."""
        async with self._pool.acquire() as connection, connection.transaction():
            for table in self.projection.tables:
                await connection.execute(f"TRUNCATE {table}")
            await connection.execute(
                "DELETE FROM projection_tracking WHERE projection = $1", self.projection.name
            )
