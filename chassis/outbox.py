"""The outbox: Kafka messages a service derives from consumed events, stored first in the
service's own database and published by a relay of their own (decision 0030).

Sending straight from a consumer lost what the broker forgot: a restarted memory broker (or a
Kafka that lost a topic) had the messages no more, and nothing had them to send again. Stored
here, they are relayed like an event store's events: in commit order, with the relay's lock,
its acknowledged offsets and its republishing when the broker has lost them (chassis.relay).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from chassis import tracing
from chassis.event_store import DbConnection, GlobalPosition, in_commit_order_after
from chassis.relay import Outgoing


@dataclass(frozen=True)
class OutboxMessage:
    message_id: UUID
    topic: str
    key: bytes
    value: bytes


@dataclass(frozen=True)
class StoredMessage:
    message: OutboxMessage
    position: GlobalPosition
    # The `traceparent` of the span that stored it (the consumed event's, decision 0039):
    # the relay's publish span joins that trace; the message itself carries no header.
    trace_context: str | None = None


def outbox_messages(stored: StoredMessage) -> list[Outgoing]:
    """What the relay sends for a row: the message as it was stored, no headers."""
    message = stored.message
    return [Outgoing(message.topic, message.key, message.value, [])]


READ_ALL = (
    "SELECT position, tx_id::text::bigint AS tx_id, message_id, topic, message_key, value,"
    " trace_context"
    f" FROM outbox {in_commit_order_after('outbox')}"
)


class Outbox:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool

    async def add(self, message: OutboxMessage, *, connection: DbConnection | None = None) -> bool:
        """Store a message once; False when one with its id was stored before (a redelivery)."""
        added = await (connection or self._pool).fetchval(
            "INSERT INTO outbox (message_id, topic, message_key, value, trace_context)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (message_id) DO NOTHING RETURNING true",
            message.message_id,
            message.topic,
            message.key,
            message.value,
            tracing.current_traceparent(),
        )
        return bool(added)

    async def read_all(self, after: GlobalPosition, limit: int = 1000) -> Sequence[StoredMessage]:
        """Messages after `after` in commit order, only from transactions that have ended (a
        later position of a transaction still running is not passed over)."""
        rows = await self._pool.fetch(
            READ_ALL,
            str(after.tx_id),
            after.position,
            limit,
        )
        return [
            StoredMessage(
                OutboxMessage(row["message_id"], row["topic"], row["message_key"], row["value"]),
                GlobalPosition(row["tx_id"], row["position"]),
                row["trace_context"],
            )
            for row in rows
        ]
