"""An event store in memory, for fast tests of command handlers.

It keeps the same contract as PostgresEventStore (the shared behavioural suite in
chassis/tests/test_event_store.py runs against both): per-stream versions with optimistic
concurrency, idempotency keys, and a global order. Every append is committed at once, so the
global order is simply the order of appends. Stored events are deep copies, and reads hand out
fresh copies, so a caller that mutates a payload it appended or read changes nothing stored,
just as with a database.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from chassis import tracing
from chassis.event_store import (
    AppendResult,
    ConcurrencyConflict,
    DbConnection,
    GlobalPosition,
    IdempotencyKeyReused,
    StoredEvent,
    Upcaster,
)
from contracts.envelope import EventEnvelope


def _identity(event_type: str, version: int, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return version, payload


class InMemoryEventStore:
    def __init__(self, upcaster: Upcaster = _identity) -> None:
        self._events: list[StoredEvent] = []
        self._streams: dict[str, list[StoredEvent]] = {}
        self._keys: dict[str, AppendResult] = {}
        self._upcast = upcaster

    async def append(
        self,
        envelopes: Sequence[EventEnvelope],
        *,
        expected_version: int | None,
        idempotency_key: str | None = None,
        connection: DbConnection | None = None,
        fingerprint: str | None = None,
    ) -> AppendResult:
        if not envelopes:
            raise ValueError("append needs at least one event")
        stream_id = envelopes[0].stream_id
        if any(e.stream_id != stream_id for e in envelopes):
            raise ValueError("one append writes to one stream")
        if idempotency_key is not None and idempotency_key in self._keys:
            recorded = self._keys[idempotency_key]
            if (
                None not in (recorded.fingerprint, fingerprint)
                and recorded.fingerprint != fingerprint
            ):
                raise IdempotencyKeyReused()
            return recorded
        stream = self._streams.setdefault(stream_id, [])
        if expected_version is not None and len(stream) != expected_version:
            raise ConcurrencyConflict(stream_id, expected_version, len(stream))
        first = len(stream) + 1
        with tracing.appending(stream_id, len(envelopes)):
            trace_context = tracing.current_traceparent()
        for offset, envelope in enumerate(envelopes):
            position = len(self._events) + 1
            stored = StoredEvent(
                envelope.model_copy(update={"stream_version": first + offset}, deep=True),
                GlobalPosition(position, position),
                trace_context,
            )
            stream.append(stored)
            self._events.append(stored)
        result = AppendResult(stream_id, first, first + len(envelopes) - 1, False)
        if idempotency_key is not None:
            self._keys[idempotency_key] = AppendResult(
                stream_id, result.first_version, result.last_version, True, fingerprint
            )
        return result

    async def recorded_result(self, idempotency_key: str) -> AppendResult | None:
        return self._keys.get(idempotency_key)

    async def read_stream(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]:
        return [self._upcast_stored(s) for s in self._streams.get(stream_id, [])[after_version:]]

    async def read_all(self, after: GlobalPosition, limit: int = 1000) -> list[StoredEvent]:
        later = [s for s in self._events if s.position > after]
        return [self._upcast_stored(s) for s in later[:limit]]

    async def stream_version(self, stream_id: str) -> int:
        return len(self._streams.get(stream_id, []))

    def _upcast_stored(self, stored: StoredEvent) -> StoredEvent:
        """A fresh copy of a stored event, upcast as the PostgreSQL store does on read."""
        envelope = stored.envelope
        version, payload = self._upcast(
            envelope.event_type, envelope.schema_version, copy.deepcopy(envelope.payload)
        )
        return StoredEvent(
            envelope.model_copy(update={"schema_version": version, "payload": payload}),
            stored.position,
            stored.trace_context,
        )
