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

A projection may also write a whole batch at once (`Projection.apply_batch`): the projector
still decides, event by event, which are next in their streams, and hands those to the batch
writer in delivery order, which collapses them per row and writes each table with one
statement (issue 15: round trips, not the work in them, bound a catch-up).

Poison events (decision 0027): every event a handler reads is decoded before the transaction
writes anything. One that cannot be read (a newer schema version, a broken payload) holds back
only its stream: it goes to the dead-letter table (chassis.dead_letters) with the later events
of its stream parked behind it, and the rest of the batch is applied. `retry_held` applies a
held stream in order once the projection can read it. An event type the projection does not
handle is skipped, counted and logged once per type; its stream version is still recorded.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import asyncpg
from prometheus_client import Counter

from chassis import tracing
from chassis.dead_letters import PARKED, DeadLetters, StreamKey
from chassis.event_reading import Unreadable, read_as, try_read
from chassis.event_store import DbConnection
from chassis.logs import get_logger
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from contracts.registry import CURRENT
from contracts.upcasting import UPCASTERS, Upcaster

log = get_logger(__name__)

Handler = Callable[[DbConnection, EventEnvelope], Awaitable[None]]
E = TypeVar("E", bound=EventModel)
Apply = Callable[[DbConnection, EventEnvelope, E], Awaitable[None]]
# The events of a batch that are next in their streams, decoded, in delivery order.
Decoded = Sequence[tuple[EventEnvelope, EventModel]]
# Columns a replay writes afresh: when a row was last written, and a random revision that
# tells readers the rows moved (reporting's figures cache). A rebuilt read model is compared
# with the live one without them.
REWRITTEN_ON_REPLAY = frozenset({"updated_at", "revision"})
ApplyBatch = Callable[[DbConnection, Decoded], Awaitable[None]]

SKIPPED_EVENTS = Counter(
    "digipolku_skipped_events_total",
    "Consumed events of a type a projection does not handle (skipped, version recorded).",
    ["projection", "event_type"],
)


class TypedHandler(Generic[E]):
    """A handler that reads its event as one model; the projector decodes it before the
    batch writes anything (`read`), then applies the decoded event (`apply`)."""

    def __init__(self, model: type[E], apply: Apply[E], upcaster: Upcaster) -> None:
        self.model = model
        self.apply = apply
        self._upcaster = upcaster

    def read(self, envelope: EventEnvelope) -> E | Unreadable:
        return try_read(self.model, envelope, self._upcaster)

    async def __call__(self, connection: DbConnection, envelope: EventEnvelope) -> None:
        await self.apply(connection, envelope, read_as(self.model, envelope, self._upcaster))


def typed(
    model: type[E], apply: Apply[E], *, upcaster: Upcaster = UPCASTERS
) -> tuple[str, Handler]:
    """A handler entry that receives the event parsed (and upcast) as its model."""
    return model.event_type, TypedHandler(model, apply, upcaster)


async def _written_by_the_batch(
    connection: DbConnection, envelope: EventEnvelope, event: EventModel
) -> None:
    raise RuntimeError(f"{envelope.event_type} is written by its projection's apply_batch")


def batched(*models: type[EventModel], upcaster: Upcaster = UPCASTERS) -> dict[str, Handler]:
    """The handler entries of a projection that writes in batches: each reads its model (so
    the projector decodes it first) and leaves the writing to `Projection.apply_batch`."""
    return dict(typed(model, _written_by_the_batch, upcaster=upcaster) for model in models)


@dataclass(frozen=True)
class Projection:
    """A read model: its name, the tables it owns, and what it does with each event type
    (`handlers`, one event at a time; or, when `apply_batch` is given, the handled types'
    events of a batch together)."""

    name: str
    tables: Sequence[str]
    handlers: dict[str, Handler]
    apply_batch: ApplyBatch | None = None


# A decoded event, an event a handler reads for itself (None), or why it could not be read.
Reading = EventModel | Unreadable | None
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
        self.dead_letters = DeadLetters(projection.name)
        # Streams held back for a gap (an earlier event not arrived yet), with when that was
        # first seen: a consumer whose broker forgot finds what it skipped this way.
        self.gaps: dict[StreamKey, float] = {}
        self._skipped_types: set[str] = set()
        self._span_name = f"project {projection.name}"
        self._span_attributes = {"digipolku.projection": projection.name}

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
        # A span in the trace of each consumed command among the items (decision 0039).
        with tracing.per_trace(
            self._span_name, (envelope.event_id for _, envelope in items), self._span_attributes
        ):
            return await self._apply_retrying(items)

    async def _apply_retrying(self, items: Sequence[tuple[str, EventEnvelope]]) -> int:
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
        # Decoded before anything is written: a poison event must not roll back the batch.
        readings = [self._read(envelope) for _, envelope in items]
        keys = sorted({(source, envelope.stream_id) for source, envelope in items})
        applied = 0
        if self._waits_for_rebuild:
            await connection.execute(
                "SELECT pg_advisory_xact_lock_shared(hashtext($1))", self._lock_name
            )
        last, held = await self._lock_tracking(connection, keys)
        moved: set[StreamKey] = set()
        pending: list[tuple[EventEnvelope, EventModel]] = []
        for (source, envelope), reading in zip(items, readings, strict=True):
            key = (source, envelope.stream_id)
            if key in held:
                # Behind an event it cannot read yet: kept, in order, unless a repeat.
                if envelope.stream_version > last.get(key, 0):
                    await self.dead_letters.hold(connection, source, envelope, PARKED)
                continue
            if not self._is_next(key, last.get(key), envelope):
                continue
            if isinstance(reading, Unreadable):
                await self.dead_letters.hold(connection, source, envelope, reading.reason)
                held[key] = envelope.stream_version
                continue
            applied += await self._apply_one(connection, envelope, reading, pending)
            last[key] = envelope.stream_version
            moved.add(key)
        await self._write_batch(connection, pending)
        await self._save_tracking(connection, {key: last[key] for key in sorted(moved)})
        return applied

    def _read(self, envelope: EventEnvelope) -> Reading:
        handler = self.projection.handlers.get(envelope.event_type)
        if isinstance(handler, TypedHandler):
            read: EventModel | Unreadable = handler.read(envelope)
            return read
        return None

    async def _apply_one(
        self,
        connection: DbConnection,
        envelope: EventEnvelope,
        reading: Reading,
        pending: list[tuple[EventEnvelope, EventModel]],
    ) -> int:
        """Apply the next event of its stream (or add it to `pending`, for a projection that
        writes batches); 0 when the projection does not handle it."""
        handler = self.projection.handlers.get(envelope.event_type)
        if handler is None:
            self._skipped(envelope.event_type)
            return 0
        if self.projection.apply_batch is not None and isinstance(reading, EventModel):
            pending.append((envelope, reading))
        elif isinstance(handler, TypedHandler):
            await handler.apply(connection, envelope, reading)
        else:
            await handler(connection, envelope)
        return 1

    async def _write_batch(
        self, connection: DbConnection, pending: list[tuple[EventEnvelope, EventModel]]
    ) -> None:
        if pending and self.projection.apply_batch is not None:
            await self.projection.apply_batch(connection, pending)

    def _skipped(self, event_type: str) -> None:
        SKIPPED_EVENTS.labels(projection=self.projection.name, event_type=event_type[:100]).inc()
        if event_type in self._skipped_types:
            return
        self._skipped_types.add(event_type)
        # Most projections read a few of the types on their topics: that is no news. A type
        # the contracts do not know is (a newer producer): it is worth a warning, once.
        if event_type in CURRENT:
            log.info(
                "event type not handled here; skipped",
                projection=self.projection.name,
                event_type=event_type,
            )
        else:
            log.warning(
                "unknown event type skipped; its stream goes on",
                projection=self.projection.name,
                event_type=event_type[:100],
            )

    def _is_next(self, key: StreamKey, last: int | None, envelope: EventEnvelope) -> bool:
        """The module's `_is_next`, remembering since when a stream has waited for a gap."""
        if _is_next(last, envelope):
            self.gaps.pop(key, None)
            return True
        if envelope.stream_version > (last or 0):
            self.gaps.setdefault(key, time.monotonic())
        return False

    async def retry_held(self) -> int:
        """Try every held stream again; returns how many events were applied.

        Each stream in a transaction of its own, its rows in version order: repeats go, the
        next version is applied if it can be read now, and it stops at the first one that
        still cannot be read (its attempt counted) or at a gap (the missing event, when it
        comes, is parked behind and applied by a later try).
        """
        async with self._pool.acquire() as connection:
            streams = await self.dead_letters.streams(connection)
        applied = 0
        for key in streams:
            async with self._pool.acquire() as connection, connection.transaction():
                applied += await self._retry_stream(connection, key)
        return applied

    async def _retry_stream(self, connection: DbConnection, key: StreamKey) -> int:
        if self._waits_for_rebuild:
            await connection.execute(
                "SELECT pg_advisory_xact_lock_shared(hashtext($1))", self._lock_name
            )
        before = (await self._lock_tracking(connection, [key]))[0].get(key, 0)
        at = before
        applied = 0
        pending: list[tuple[EventEnvelope, EventModel]] = []
        for held in await self.dead_letters.stream(connection, key):
            envelope = held.envelope
            if envelope.stream_version > at + 1:
                # A gap behind the held events: like any gap, it may hide a skipped event.
                self.gaps.setdefault(key, time.monotonic())
                break
            self.gaps.pop(key, None)
            if envelope.stream_version == at + 1:
                reading = self._read(envelope)
                if isinstance(reading, Unreadable):
                    await self.dead_letters.still_unreadable(
                        connection, key, envelope.stream_version, reading.reason
                    )
                    break
                applied += await self._apply_one(connection, envelope, reading, pending)
                at = envelope.stream_version
            await self.dead_letters.release(connection, key, envelope.stream_version)
        await self._write_batch(connection, pending)
        if at != before:
            await self._save_tracking(connection, {key: at})
            log.info(
                "held stream applied",
                projection=self.projection.name,
                topic=key[0],
                stream_id=key[1],
                up_to=at,
            )
        return applied

    async def _lock_tracking(
        self, connection: DbConnection, keys: Sequence[StreamKey]
    ) -> tuple[dict[StreamKey, int], dict[StreamKey, int]]:
        """The last versions applied for the batch's streams, their rows locked; and which of
        the streams are held back (dead letters), each with its lowest version held.

        Locked in key order, so two batches over the same streams wait for each other
        instead of deadlocking on these rows. One round trip for both, since every batch
        (and every inline projection's command) asks.
        """
        rows = await connection.fetch(
            "WITH k AS (SELECT * FROM unnest($2::text[], $3::text[]) AS k(source, stream_id)),"
            " tracked AS (SELECT t.source, t.stream_id, t.stream_version"
            " FROM projection_tracking t JOIN k"
            " ON t.source = k.source AND t.stream_id = k.stream_id"
            " WHERE t.projection = $1 ORDER BY t.source, t.stream_id FOR UPDATE OF t)"
            " SELECT false AS held, source, stream_id, stream_version FROM tracked"
            " UNION ALL"
            " SELECT true, d.source, d.stream_id, min(d.stream_version) FROM dead_letters d"
            " JOIN k ON d.source = k.source AND d.stream_id = k.stream_id"
            " WHERE d.consumer = $1 GROUP BY d.source, d.stream_id",
            self.projection.name,
            [source for source, _ in keys],
            [stream_id for _, stream_id in keys],
        )
        found: tuple[dict[StreamKey, int], dict[StreamKey, int]] = ({}, {})
        for row in rows:
            found[row["held"]][(row["source"], row["stream_id"])] = row["stream_version"]
        return found

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
            await self.dead_letters.forget(connection)
        self.gaps.clear()


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
