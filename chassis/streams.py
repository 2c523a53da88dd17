"""Loading an aggregate's events and appending its decisions, in contract types.

Command handlers speak in event models (contracts.events); the store speaks in envelopes.
This is the one place that turns one into the other, with the command's context (who, which
request, which tenant, which idempotency key) stamped on every envelope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from chassis.clock import utc_now
from chassis.event_store import (
    AppendResult,
    DbConnection,
    EventStore,
    IdempotencyKeyReused,
    PostgresEventStore,
)
from contracts.envelope import Actor, EventEnvelope
from contracts.events.base import EventModel
from contracts.registry import make_envelope, parse_payload


@dataclass(frozen=True)
class CommandContext:
    """Where a command came from; carried into every event it causes."""

    actor: Actor
    tenant: str
    correlation_id: UUID
    causation_id: UUID | None = None
    idempotency_key: str | None = None
    now: datetime | None = None
    # A digest of the command (target and body): a key reused for another command is refused.
    fingerprint: str | None = None
    # The aggregate version the caller last saw (If-Match); None when they did not say.
    expected_version: int | None = None

    def timestamp(self) -> datetime:
        return self.now or utc_now()


@dataclass(frozen=True)
class LoadedStream:
    version: int
    tenant: str
    events: list[EventModel]


class EventStreams:
    def __init__(self, store: EventStore) -> None:
        self._store = store

    @property
    def store(self) -> PostgresEventStore:
        assert isinstance(self._store, PostgresEventStore), "this reader needs PostgreSQL"
        return self._store

    async def previous_result(self, context: CommandContext) -> AppendResult | None:
        """The result of an earlier run of this very command (same idempotency key).

        Checked before deciding: a retry must get the first result even though the state
        has moved on since (the first run changed it).
        """
        if context.idempotency_key is None:
            return None
        recorded = await self._store.recorded_result(context.idempotency_key)
        if _fingerprints_differ(recorded, context):
            raise IdempotencyKeyReused()
        return recorded

    async def load(self, stream_id: str) -> LoadedStream:
        """The stream's version, tenant and events as current-version models (upcast)."""
        stored = await self._store.read_stream(stream_id)
        return LoadedStream(
            version=stored[-1].envelope.stream_version if stored else 0,
            tenant=stored[0].envelope.tenant if stored else "",
            events=[parse_payload(s.envelope) for s in stored],
        )

    def envelopes(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[EventModel],
        context: CommandContext,
    ) -> list[EventEnvelope]:
        """The events as the store will hold them, numbered after `expected_version`."""
        occurred_at = context.timestamp()
        return [
            make_envelope(
                event,
                stream_id=stream_id,
                stream_version=expected_version + offset + 1,
                tenant=context.tenant,
                correlation_id=context.correlation_id,
                causation_id=context.causation_id,
                actor=context.actor,
                occurred_at=occurred_at,
            )
            for offset, event in enumerate(events)
        ]

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[EventModel],
        context: CommandContext,
        connection: DbConnection | None = None,
    ) -> AppendResult:
        return await self.append_envelopes(
            self.envelopes(stream_id, expected_version, events, context),
            expected_version,
            context,
            connection,
        )

    async def append_envelopes(
        self,
        envelopes: Sequence[EventEnvelope],
        expected_version: int,
        context: CommandContext,
        connection: DbConnection | None = None,
    ) -> AppendResult:
        return await self._store.append(
            envelopes,
            expected_version=expected_version,
            idempotency_key=context.idempotency_key,
            connection=connection,
            fingerprint=context.fingerprint,
        )


def _fingerprints_differ(recorded: AppendResult | None, context: CommandContext) -> bool:
    """Keys recorded without a fingerprint (before they were kept) replay unchecked."""
    if recorded is None or recorded.fingerprint is None or context.fingerprint is None:
        return False
    return recorded.fingerprint != context.fingerprint
