"""The one way a command runs: idempotency, transaction, load, decide, append.

    async def pause(work: UnitOfWork, command: Pause) -> Pathway:      # the handler: a decision
        pathway = await load_pathway(work, command.pathway_id)
        await work.append(str(pathway.pathway_id), pathway.version, decide(pathway, command))
        return pathway

    ran = await pipeline.run(context, lambda work: pause(work, command), replay)

`CommandPipeline.run` does the rest, the same for every command of every service:
- a retry (same idempotency key, same fingerprint) gets the first result from `replay` and
  decides nothing; the same key with another command is refused (IdempotencyKeyReused, 422);
- the handler runs inside one transaction, which the appends and any table the handler writes
  through `work.connection` share; an exception rolls all of it back;
- every append carries the version the handler decided on (optimistic concurrency), and the
  first stream the handler loaded (the command's target) must be at the version the caller
  last saw when they said (If-Match); that is checked after the handler has decided, so a
  caller who may not see the target learns nothing from a 409 it could not have had;
- read models declared inline are applied, tracked, in the same transaction as the events;
- a retry racing its own first attempt loses at the append (the store waits on the key), so
  the pipeline rolls back what the handler wrote and answers from `replay` instead.
Domain errors pass through as they are; chassis.http maps them once to problem details.

Two transaction sources: PostgreSQL (a pooled connection in a transaction) and memory (no
connection; appends are held until the handler returns and dropped if it raises, as a
rollback would) for testing handlers against the in-memory store in milliseconds.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import asyncpg

from chassis import tracing
from chassis.errors import DomainError, Forbidden, NotFound, Unauthorized
from chassis.event_store import AppendResult, ConcurrencyConflict, DbConnection, EventStore
from chassis.projector import Projector
from chassis.streams import CommandContext, EventStreams, LoadedStream
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel

T = TypeVar("T")
_NOT_VISIBLE = (NotFound, Forbidden, Unauthorized)


class Transactions(Protocol):
    """Where a command's transaction comes from."""

    def begin(self) -> contextlib.AbstractAsyncContextManager[DbConnection | None]: ...


class PostgresTransactions:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[DbConnection | None]:
        async with self._pool.acquire() as connection, connection.transaction():
            yield connection


class NoTransactions:
    """For handlers that only load and append, against the in-memory store."""

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[DbConnection | None]:
        yield None


@dataclass(frozen=True)
class InlineProjection:
    """A read model a command keeps current in its own transaction (never behind its events).

    `source` is the topic the relay publishes the events to, so the tracking rows are the
    ones a replay of that topic would write: the model rebuilds like any other projection.
    """

    source: str
    projector: Projector


class _RaceLost(Exception):
    """The first attempt of this very command committed while this one was deciding."""

    def __init__(self, recorded: AppendResult) -> None:
        super().__init__(recorded.stream_id)
        self.recorded = recorded


class UnitOfWork:
    """What a handler may do: load streams, append its decisions, write its own tables."""

    def __init__(
        self,
        store: EventStore,
        context: CommandContext,
        connection: DbConnection | None,
        inline: Sequence[InlineProjection] = (),
    ) -> None:
        self._streams = EventStreams(store)
        self._connection = connection
        self._inline = inline
        self.context = context
        self._target: tuple[str, int] | None = None
        self._keyed_append_done = False
        # Without a transaction, appends wait here until the handler has returned.
        self._held: list[tuple[list[EventEnvelope], int, CommandContext]] = []

    @property
    def connection(self) -> DbConnection:
        """The command's transaction, for tables written together with the events."""
        if self._connection is None:
            raise RuntimeError("this handler writes tables and needs a database transaction")
        return self._connection

    @property
    def has_connection(self) -> bool:
        return self._connection is not None

    async def load(self, stream_id: str) -> LoadedStream:
        """A stream as current-version events; the first one loaded is the command's target."""
        stream = await self._streams.load(stream_id)
        if self._target is None:
            self._target = (stream_id, stream.version)
        return stream

    async def check_not_run_meanwhile(self) -> None:
        """After waiting on a lock: if this very command's first attempt committed meanwhile,
        answer as its retry (for commands that read under a lock before their first append)."""
        recorded = await self._streams.previous_result(self.context)
        if recorded is not None:
            raise _RaceLost(recorded)

    def check_if_match(self) -> None:
        """Refuse a command decided on a version the caller no longer has (If-Match)."""
        expected = self.context.expected_version
        if expected is None or self._target is None:
            return
        stream_id, version = self._target
        if expected != version:
            raise ConcurrencyConflict(stream_id, expected, version)

    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[EventModel]
    ) -> AppendResult | None:
        """Record the decision, decided on `expected_version` of the stream. Nothing to record
        is no append; the idempotency key goes with the command's first append."""
        if not events:
            return None
        context = self.context
        if self._keyed_append_done:
            context = CommandContext(
                actor=context.actor,
                tenant=context.tenant,
                correlation_id=context.correlation_id,
                causation_id=context.causation_id,
                now=context.now,
            )
        envelopes = self._streams.envelopes(stream_id, expected_version, events, context)
        self._keyed_append_done = True
        if self._connection is None:
            self._held.append((envelopes, expected_version, context))
            last = expected_version + len(envelopes)
            return AppendResult(stream_id, expected_version + 1, last, replayed=False)
        result = await self._streams.append_envelopes(
            envelopes, expected_version, context, self._connection
        )
        if result.replayed:
            raise _RaceLost(result)
        for inline in self._inline:
            items = [(inline.source, envelope) for envelope in envelopes]
            await inline.projector.apply_in(self._connection, items)
        return result

    async def commit_held(self) -> None:
        """Append what was held (memory only), in the order the handler appended it."""
        for envelopes, expected_version, context in self._held:
            result = await self._streams.append_envelopes(envelopes, expected_version, context)
            if result.replayed:
                raise _RaceLost(result)
        self._held.clear()


@dataclass(frozen=True)
class Ran(Generic[T]):
    value: T
    # True when this was a retry of a command already recorded: nothing new was decided.
    replayed: bool


Handler = Callable[[UnitOfWork], Awaitable[T]]
Replay = Callable[[AppendResult], Awaitable[T]]


class CommandPipeline:
    """Runs commands against one event store; made once when the service starts."""

    def __init__(
        self,
        store: EventStore,
        transactions: Transactions,
        inline: Sequence[InlineProjection] = (),
    ) -> None:
        self._store = store
        self._transactions = transactions
        self._streams = EventStreams(store)
        self.inline = tuple(inline)

    @classmethod
    def on_postgres(
        cls, store: EventStore, pool: asyncpg.Pool, inline: Sequence[InlineProjection] = ()
    ) -> CommandPipeline:
        return cls(store, PostgresTransactions(pool), inline)

    @classmethod
    def in_memory(cls, store: EventStore) -> CommandPipeline:
        return cls(store, NoTransactions())

    @property
    def store(self) -> EventStore:
        return self._store

    async def load(self, stream_id: str) -> LoadedStream:
        """A stream read outside any command (for replays and queries)."""
        return await self._streams.load(stream_id)

    async def run(self, context: CommandContext, handle: Handler[T], replay: Replay[T]) -> Ran[T]:
        # The command's span: its appends' spans (and so every later span of its events, in
        # the relay and the consumers) are its children (decision 0039).
        attributes = _span_attributes(context) if tracing.enabled() else None
        with tracing.span("command", attributes):
            return await self._run(context, handle, replay)

    async def _run(self, context: CommandContext, handle: Handler[T], replay: Replay[T]) -> Ran[T]:
        previous = await self._streams.previous_result(context)
        if previous is not None:
            return Ran(await replay(previous), replayed=True)
        try:
            async with self._transactions.begin() as connection:
                work = UnitOfWork(self._store, context, connection, self.inline)
                try:
                    value = await handle(work)
                except DomainError as refused:
                    # A rule refused what the caller asked on a state they had not seen:
                    # the conflict is the truer answer (unless they may not see it at all).
                    if not isinstance(refused, _NOT_VISIBLE):
                        work.check_if_match()
                    raise
                work.check_if_match()
                await work.commit_held()
        except _RaceLost as lost:
            return Ran(await replay(lost.recorded), replayed=True)
        return Ran(value, replayed=False)


def _span_attributes(context: CommandContext) -> dict[str, str]:
    return {
        "digipolku.tenant": context.tenant,
        "digipolku.actor_role": str(context.actor.role),
        "digipolku.correlation_id": str(context.correlation_id),
    }
