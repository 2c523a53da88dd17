"""The event store: append with an expected version and an idempotency key, read a stream,
read everything from a position, on PostgreSQL through asyncpg.

Global order. `position` comes from an identity column, so a transaction that took a lower
position may commit after one that took a higher position. A reader that followed positions
alone could move past a slow commit and never see it. Each row therefore also stores its
transaction id, and readers follow the pair (tx_id, position), reading only rows whose
transaction id is below the xmin of their own snapshot: every transaction below xmin has ended,
and every transaction still to come gets an id at or above it, so nothing can later appear
behind the reader's position.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from pydantic import TypeAdapter

from chassis import tracing
from chassis.errors import DomainError
from contracts.envelope import Actor, EventEnvelope

Upcaster = Callable[[str, int, dict[str, Any]], tuple[int, dict[str, Any]]]

# What handlers receive: a pooled connection or a plain one; both run queries alike.
DbConnection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"

_CONFLICT_SQLSTATE = "DP409"
_KEY_REUSED_SQLSTATE = "DP422"
_ENVELOPE_LIST = TypeAdapter(list[EventEnvelope])
_STREAM_VERSION_CONSTRAINT = "events_stream_version_key"


class ConcurrencyConflict(Exception):
    """The stream is not at the version the command decided on."""

    def __init__(self, stream_id: str, expected: int | None, actual: int | None) -> None:
        super().__init__(f"stream {stream_id}: expected version {expected}, found {actual}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class IdempotencyKeyReused(DomainError):
    """The idempotency key was already used for another command (another body or target)."""

    status = 422

    def __init__(self) -> None:
        super().__init__("error.idempotency_key_reused")


@dataclass(frozen=True, order=True)
class GlobalPosition:
    """A place in the store's global order; compares in the order readers follow."""

    tx_id: int
    position: int

    @classmethod
    def start(cls) -> GlobalPosition:
        return cls(0, 0)


@dataclass(frozen=True)
class StoredEvent:
    envelope: EventEnvelope
    position: GlobalPosition
    # The `traceparent` of the span that appended it (chassis.tracing), for the relay's
    # publish span; None when tracing was off.
    trace_context: str | None = None


@dataclass(frozen=True)
class AppendResult:
    stream_id: str
    first_version: int
    last_version: int
    # True when the idempotency key was seen before: nothing new was stored.
    replayed: bool
    # What the key was first used for (None for keys recorded without one).
    fingerprint: str | None = None


class EventStore(Protocol):
    """What every event store backend promises (see chassis/tests/test_event_store.py)."""

    async def append(
        self,
        envelopes: Sequence[EventEnvelope],
        *,
        expected_version: int | None,
        idempotency_key: str | None = None,
        connection: DbConnection | None = None,
        fingerprint: str | None = None,
    ) -> AppendResult: ...

    async def recorded_result(self, idempotency_key: str) -> AppendResult | None: ...

    async def read_stream(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]: ...

    async def read_all(self, after: GlobalPosition, limit: int = 1000) -> list[StoredEvent]: ...

    async def stream_version(self, stream_id: str) -> int: ...


async def init_connection(connection: DbConnection) -> None:
    """Encode and decode jsonb as Python objects on every pooled connection."""
    await connection.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
    )


async def _keep_session(connection: DbConnection) -> None:
    """Release a connection to the pool without asyncpg's default session reset.

    The default runs RESET ALL, CLOSE ALL, UNLISTEN * and unlocks advisory locks: one more
    round trip on every release, a third of an append's time. Our code keeps no session state
    (no SET, LISTEN, advisory locks or cursors outside a transaction), and asyncpg still rolls
    back an unfinished transaction before calling this.
    """


# A database that stops answering (a hung network, a stopped host) must end in an error the
# HTTP layer answers 503, not in a request that waits forever (decision 0028): a connection
# attempt gives up after CONNECT_TIMEOUT, a statement after COMMAND_TIMEOUT (far above any
# statement of ours; a longer one is an incident of its own).
CONNECT_TIMEOUT = 5.0
COMMAND_TIMEOUT = 15.0


async def create_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, search_path: str | None = None
) -> asyncpg.Pool:
    """`search_path`: where unqualified table names are looked up first (a blue/green
    rebuild points the unchanged projection code at its new tables this way)."""
    pool = await asyncpg.create_pool(
        dsn,
        server_settings=None if search_path is None else {"search_path": search_path},
        min_size=min_size,
        max_size=max_size,
        init=init_connection,
        reset=_keep_session,
        timeout=CONNECT_TIMEOUT,
        command_timeout=COMMAND_TIMEOUT,
    )
    assert pool is not None
    return pool


def _identity(event_type: str, version: int, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return version, payload


def in_commit_order_after(table: str) -> str:
    """The rows of `table` after ($1 transaction id, $2 position) in commit order, at most $3,
    only from transactions that have ended: positions are taken before commit, so a reader
    that passed a transaction still running would never see its rows (the store's and the
    outbox's readers).

    The order names the table's own columns: the readers select `tx_id::text::bigint AS tx_id`,
    and a bare ORDER BY tx_id means that output column, which no index has. PostgreSQL then
    sorted every row after the position for each batch: 650 ms a batch at 2.6 million events,
    where the (tx_id, position) index answers in milliseconds (issue 15's national year).
    """
    return (
        f"WHERE ({table}.tx_id, {table}.position) > ($1::text::xid8, $2)"
        f" AND {table}.tx_id < pg_snapshot_xmin(pg_current_snapshot())"
        f" ORDER BY {table}.tx_id, {table}.position LIMIT $3"
    )


_SELECT_COLUMNS = """
    position, tx_id::text::bigint AS tx_id, event_id, stream_id, stream_version, event_type,
    schema_version, occurred_at, tenant, correlation_id, causation_id, actor, payload
"""
READ_ALL = f"SELECT {_SELECT_COLUMNS}, trace_context FROM events {in_commit_order_after('events')}"
_APPEND = "SELECT * FROM append_events($1, $2, $3, $4::text::jsonb, $5, $6)"


class PostgresEventStore:
    """An append-only event store in one PostgreSQL database (the service's own)."""

    def __init__(self, pool: asyncpg.Pool, upcaster: Upcaster = _identity) -> None:
        self._pool = pool
        self._upcast = upcaster

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool

    async def append(
        self,
        envelopes: Sequence[EventEnvelope],
        *,
        expected_version: int | None,
        idempotency_key: str | None = None,
        connection: DbConnection | None = None,
        fingerprint: str | None = None,
    ) -> AppendResult:
        """Append events of one stream atomically.

        `expected_version` is the stream version the command saw (0 for a new stream, None
        for "any"). The envelopes' own `stream_version` is ignored: the store numbers them.
        Pass `connection` to append inside the caller's transaction. A key already used with
        another `fingerprint` raises IdempotencyKeyReused.
        """
        if not envelopes:
            raise ValueError("append needs at least one event")
        stream_id = envelopes[0].stream_id
        if any(e.stream_id != stream_id for e in envelopes):
            raise ValueError("one append writes to one stream")
        events = _ENVELOPE_LIST.dump_json(list(envelopes)).decode()
        with tracing.appending(stream_id, len(envelopes)):
            # The append's own span, kept with the events: the relay's publish span joins it.
            args = (
                stream_id,
                expected_version,
                idempotency_key,
                events,
                fingerprint,
                tracing.current_traceparent(),
            )
            try:
                row = await (connection or self._pool).fetchrow(_APPEND, *args)
            except asyncpg.UniqueViolationError as exc:
                if exc.constraint_name == _STREAM_VERSION_CONSTRAINT:
                    raise ConcurrencyConflict(stream_id, expected_version, None) from exc
                raise
            except asyncpg.PostgresError as exc:
                if exc.sqlstate == _KEY_REUSED_SQLSTATE:
                    raise IdempotencyKeyReused() from exc
                if exc.sqlstate == _CONFLICT_SQLSTATE:
                    actual = int(exc.detail) if exc.detail else None
                    raise ConcurrencyConflict(stream_id, expected_version, actual) from exc
                raise
        assert row is not None
        return AppendResult(
            stream_id=row["stream_id"],
            first_version=row["first_version"],
            last_version=row["last_version"],
            replayed=row["replayed"],
        )

    async def recorded_result(self, idempotency_key: str) -> AppendResult | None:
        """What the first append with this key stored, or None if the key is new."""
        row = await self._pool.fetchrow(
            "SELECT stream_id, first_version, last_version, fingerprint FROM idempotency_keys"
            " WHERE idempotency_key = $1",
            idempotency_key,
        )
        if row is None:
            return None
        return AppendResult(
            row["stream_id"], row["first_version"], row["last_version"], True, row["fingerprint"]
        )

    async def read_stream(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]:
        rows = await self._pool.fetch(
            f"SELECT {_SELECT_COLUMNS} FROM events"
            " WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version",
            stream_id,
            after_version,
        )
        return [self._to_stored(row) for row in rows]

    async def read_all(self, after: GlobalPosition, limit: int = 1000) -> list[StoredEvent]:
        """Events after `after` in global order, only from transactions that have ended."""
        rows = await self._pool.fetch(
            READ_ALL,
            str(after.tx_id),
            after.position,
            limit,
        )
        return [self._to_stored(row) for row in rows]

    async def stream_version(self, stream_id: str) -> int:
        version = await self._pool.fetchval(
            "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1", stream_id
        )
        return int(version)

    def _to_stored(self, row: asyncpg.Record) -> StoredEvent:
        version, payload = self._upcast(row["event_type"], row["schema_version"], row["payload"])
        envelope = EventEnvelope.model_construct(
            event_id=row["event_id"],
            event_type=row["event_type"],
            schema_version=version,
            stream_id=row["stream_id"],
            stream_version=row["stream_version"],
            occurred_at=row["occurred_at"],
            tenant=row["tenant"],
            correlation_id=row["correlation_id"],
            causation_id=row["causation_id"],
            actor=Actor.model_construct(**row["actor"]),
            payload=payload,
        )
        # Only the relay's read selects the trace context; a stream read has no use for it.
        trace_context = row.get("trace_context")
        return StoredEvent(envelope, GlobalPosition(row["tx_id"], row["position"]), trace_context)
