"""Projectors: apply each event to a read model once, with the checkpoint in the same
transaction as the change.

Kafka delivers at least once (and a broker restart or a relay crash can deliver again from
anywhere), so offsets cannot be the guard. Every stream's events arrive in stream-version
order on one partition; the projector remembers, per source topic and stream, the last version
it applied, skips anything at or below it, and holds back an event that comes before the ones
it follows (see `_is_next`). That row is written in the transaction that changes the read
model, so a crash either keeps both or neither.

Events are applied in batches (what one fetch from Kafka returned): one transaction per batch
reads the batch's tracking rows in one query and writes them back in one statement, instead of
two round trips and a commit per event.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
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


# (source topic, stream id): what a tracking row is kept for, within one projection.
StreamKey = tuple[str, str]
# A batch that deadlocks with another writer of the same rows (say, a second instance of the
# consumer during a rebalance) is rolled back whole by PostgreSQL, so trying it again is safe.
DEADLOCK_ATTEMPTS = 3


class Projector:
    """Applies events to one projection.

    A live projector (`waits_for_rebuild`) takes its projection's rebuild lock shared in
    every batch, so while a rebuild holds it exclusively the live consumer waits instead of
    recording a later event of a stream before the replay has reached the earlier ones
    (which the replay would then drop as repeats). The rebuild's own projector does not wait.
    """

    def __init__(
        self, pool: asyncpg.Pool, projection: Projection, *, waits_for_rebuild: bool = True
    ) -> None:
        self._pool = pool
        self.projection = projection
        self._waits_for_rebuild = waits_for_rebuild

    def replaying(self) -> Projector:
        """The same projection, for a rebuild that holds the rebuild lock itself."""
        return Projector(self._pool, self.projection, waits_for_rebuild=False)

    @contextlib.asynccontextmanager
    async def rebuild_lock(self) -> AsyncIterator[None]:
        """Hold the projection's rebuild lock exclusively: live batches wait meanwhile."""
        async with self._pool.acquire() as connection:
            await connection.execute("SELECT pg_advisory_lock(hashtext($1))", self._lock_name)
            try:
                yield
            finally:
                await connection.execute("SELECT pg_advisory_unlock(hashtext($1))", self._lock_name)

    @property
    def _lock_name(self) -> str:
        return f"projection-rebuild:{self.projection.name}"

    async def handle(self, source: str, envelope: EventEnvelope) -> bool:
        """Apply one event; returns False when it was a duplicate (or of no interest)."""
        return await self.handle_batch([(source, envelope)]) == 1

    async def handle_batch(self, items: Sequence[tuple[str, EventEnvelope]]) -> int:
        """Apply (source topic, event) pairs in delivery order, all in one transaction.

        Returns how many were applied by a handler; duplicates (at or below the version
        already applied, by an earlier batch or earlier in this one), events held back (see
        `_is_next`) and events of no interest are not counted. A failure rolls back the
        whole batch, checkpoints included, so delivering it again applies each event
        exactly once.
        """
        if not items:
            return 0
        for attempt in range(1, DEADLOCK_ATTEMPTS):
            try:
                return await self._apply(items)
            except asyncpg.DeadlockDetectedError:
                log.warning("projection batch deadlocked; trying again", attempt=attempt)
        return await self._apply(items)

    async def _apply(self, items: Sequence[tuple[str, EventEnvelope]]) -> int:
        async with self._pool.acquire() as connection, connection.transaction():
            return await self.apply_in(connection, items)

    async def apply_in(
        self, connection: DbConnection, items: Sequence[tuple[str, EventEnvelope]]
    ) -> int:
        """Apply a batch inside the caller's transaction, with the same tracking.

        A command that keeps a read model in its own transaction (an inline projection) uses
        this, so the model is tracked and rebuilt exactly like one fed from Kafka.
        """
        keys = sorted({(source, envelope.stream_id) for source, envelope in items})
        applied = 0
        if self._waits_for_rebuild:
            await connection.execute(
                "SELECT pg_advisory_xact_lock_shared(hashtext($1))", self._lock_name
            )
        last = await self._lock_tracking(connection, keys)
        moved: set[StreamKey] = set()
        for source, envelope in items:
            key = (source, envelope.stream_id)
            if not _is_next(last.get(key), envelope):
                continue
            handler = self.projection.handlers.get(envelope.event_type)
            if handler is not None:
                await handler(connection, envelope)
                applied += 1
            last[key] = envelope.stream_version
            moved.add(key)
        await self._save_tracking(connection, {key: last[key] for key in sorted(moved)})
        return applied

    async def _lock_tracking(
        self, connection: DbConnection, keys: Sequence[StreamKey]
    ) -> dict[StreamKey, int]:
        """The last versions applied for the batch's streams, their rows locked.

        Locked in key order, so two batches over the same streams wait for each other
        instead of deadlocking on these rows.
        """
        rows = await connection.fetch(
            "SELECT t.source, t.stream_id, t.stream_version FROM projection_tracking t"
            " JOIN unnest($2::text[], $3::text[]) AS k(source, stream_id)"
            " ON t.source = k.source AND t.stream_id = k.stream_id"
            " WHERE t.projection = $1 ORDER BY t.source, t.stream_id FOR UPDATE OF t",
            self.projection.name,
            [source for source, _ in keys],
            [stream_id for _, stream_id in keys],
        )
        return {(row["source"], row["stream_id"]): row["stream_version"] for row in rows}

    async def _save_tracking(
        self, connection: DbConnection, versions: dict[StreamKey, int]
    ) -> None:
        """Every moved checkpoint in one statement, in the batch's transaction."""
        if not versions:
            return
        await connection.execute(
            "INSERT INTO projection_tracking (projection, source, stream_id, stream_version)"
            " SELECT $1, k.source, k.stream_id, k.stream_version"
            " FROM unnest($2::text[], $3::text[], $4::integer[])"
            " AS k(source, stream_id, stream_version)"
            " ON CONFLICT (projection, source, stream_id)"
            " DO UPDATE SET stream_version = EXCLUDED.stream_version",
            self.projection.name,
            [source for source, _ in versions],
            [stream_id for _, stream_id in versions],
            list(versions.values()),
        )

    async def tracks_anything(self) -> bool:
        """True once the projection has applied (or skipped) any event."""
        found = await self._pool.fetchval(
            "SELECT 1 FROM projection_tracking WHERE projection = $1 LIMIT 1",
            self.projection.name,
        )
        return found is not None

    async def reset(self) -> None:
        """Empty the read model and forget what was applied: the start of a rebuild."""
        async with self._pool.acquire() as connection, connection.transaction():
            for table in self.projection.tables:
                await connection.execute(f"TRUNCATE {table}")
            await connection.execute(
                "DELETE FROM projection_tracking WHERE projection = $1", self.projection.name
            )


def _is_next(last: int | None, envelope: EventEnvelope) -> bool:
    """True for the event that follows the stream's last applied one.

    At or below it: a redelivery, dropped. Beyond the next version: an earlier event of the
    stream has not arrived yet. That happens when one of the relay's sends failed while a
    later one of the same partition got through; the relay then sends everything again from
    its checkpoint, in order, the missing event and this one included. So this one is held
    back (not applied, not recorded) instead of being applied ahead of the missing one,
    which would then be dropped as a repeat and lost.
    """
    applied = last or 0  # streams start at version 1, and every projection from their start
    if envelope.stream_version <= applied:
        log.debug("duplicate event dropped", event_id=str(envelope.event_id))
        return False
    if envelope.stream_version > applied + 1:
        log.warning(
            "event held back: an earlier event of its stream has not arrived yet",
            stream_id=envelope.stream_id,
            last=applied,
            received=envelope.stream_version,
        )
        return False
    return True
