"""Publishing the tenant's path events: each tenant's on its own topic, keyed by the path's ref.

Runs as reporting's policy on every consumed event, after the projections. The event goes
into reporting's outbox, and the outbox's relay publishes it (decision 0030): a broker that
forgets the topic gets it again from there. An event's id is the same each time an internal
event is delivered, so a redelivery adds nothing to the outbox.

Erasure (decision 0032): the path's earlier messages leave the outbox (so a republishing never
sends them again), and `path_forgotten` goes last; compaction then drops what came before it
on the topic. Nothing of the path is stored after its `path_forgotten`, so a late redelivery
of one of its events cannot bring the path back.
"""

from __future__ import annotations

from uuid import UUID

from chassis.advisory_locks import lock_until_commit
from chassis.event_store import DbConnection
from chassis.outbox import Outbox, OutboxMessage
from chassis.versioned_keys import VersionedKey
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from contracts.public import TenantPathEvent
from contracts.topics import tenant_topic
from services.reporting.domain.tenant_events import (
    TENANT_SOURCES,
    forgotten_event_id,
    tenant_event,
)


class TenantPublisher:
    """Made once at start, with the service's outbox."""

    def __init__(self, ref_key: VersionedKey, outbox: Outbox) -> None:
        self._ref_key = ref_key
        self._outbox = outbox

    async def publish_event(self, envelope: EventEnvelope, event: EventModel) -> None:
        """The event already read (the consumer decodes first: decision 0027)."""
        if not isinstance(event, TENANT_SOURCES):
            return  # most events (answers, feedback, …): nothing for the tenant's systems
        message = tenant_event(envelope, event, self._ref_key)
        if message is None:
            return
        if message.event_type == "path_forgotten":
            await self._forget(message)
            return
        # The path's forgetting has an id of its own, so it is one look-up by key.
        pathway_id = getattr(event, "pathway_id", None)
        assert isinstance(pathway_id, UUID)  # tenant_event gave a message: the event has one
        forgotten = forgotten_event_id(self._ref_key, envelope.tenant, pathway_id)
        async with self._outbox.pool.acquire() as connection, connection.transaction():
            await _lock_path(connection, message)
            if not await connection.fetchval(
                "SELECT 1 FROM outbox WHERE message_id = $1", forgotten
            ):
                await self._outbox.add(_message(message), connection=connection)

    async def _forget(self, forgotten: TenantPathEvent) -> None:
        topic = tenant_topic(forgotten.tenant)
        async with self._outbox.pool.acquire() as connection, connection.transaction():
            await _lock_path(connection, forgotten)
            # Erasure is rare: a scan of the outbox is cheaper than an index on every insert.
            await connection.execute(
                "DELETE FROM outbox WHERE topic = $1 AND message_key = $2 AND message_id <> $3",
                topic,
                forgotten.path_ref.encode(),
                forgotten.event_id,
            )
            await self._outbox.add(_message(forgotten), connection=connection)


async def _lock_path(connection: DbConnection, event: TenantPathEvent) -> None:
    """One path's messages and its forgetting one at a time: an erasure consumed by another
    replica (its event comes from enrolment's topic, a week's from tasks') is then either
    seen by the week's look-up or deletes the week's message."""
    await lock_until_commit(connection, f"tenant-path:{event.path_ref}")


def _message(event: TenantPathEvent) -> OutboxMessage:
    return OutboxMessage(
        event.event_id,
        tenant_topic(event.tenant),
        event.path_ref.encode(),
        event.model_dump_json().encode(),
    )
