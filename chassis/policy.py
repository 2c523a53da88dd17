"""Policies: what a service does with consumed events besides its projections (a reaction
that issues a command, a publisher), decoded before any reaction runs (decision 0027).

A policy keeps no stream versions (its reactions are idempotent: at least once is the
contract of every consumer here), but it holds back a stream exactly like a projection: an
event one of its reactions should read and cannot goes to the dead-letter table under the
policy's name, later events of that stream are parked behind it, and `retry_held` runs them
in order once the policy can read them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import asyncpg

from chassis.dead_letters import PARKED, DeadLetters, StreamKey
from chassis.event_reading import Unreadable, read_as, try_read
from chassis.event_store import DbConnection
from chassis.logs import get_logger
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from contracts.upcasting import UPCASTERS, Upcaster

if TYPE_CHECKING:  # the service module imports this one
    from chassis.service import ServiceRuntime

log = get_logger(__name__)

E = TypeVar("E", bound=EventModel)
React = Callable[["ServiceRuntime", EventEnvelope, E], Awaitable[None]]


@dataclass(frozen=True)
class Reaction(Generic[E]):
    model: type[E]
    react: React[E]
    upcaster: Upcaster = UPCASTERS

    def read(self, envelope: EventEnvelope) -> E | Unreadable:
        return try_read(self.model, envelope, self.upcaster)


def reacting(model: type[E], react: React[E], *, upcaster: Upcaster = UPCASTERS) -> Reaction[E]:
    return Reaction(model, react, upcaster)


@dataclass
class Policy:
    """A named set of reactions, one per event type; other types pass it by."""

    name: str
    reactions: Sequence[Reaction[Any]]
    _by_type: Mapping[str, Reaction[Any]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_type = {reaction.model.event_type: reaction for reaction in self.reactions}
        self.dead_letters = DeadLetters(self.name)

    async def __call__(self, runtime: ServiceRuntime, topic: str, envelope: EventEnvelope) -> None:
        """React to one event, raising when it cannot be read (outside the consumer)."""
        reaction = self._by_type.get(envelope.event_type)
        if reaction is not None:
            await reaction.react(runtime, envelope, read_as(reaction.model, envelope))

    def read(self, envelope: EventEnvelope) -> EventModel | Unreadable | None:
        """The event as its reaction reads it; None when no reaction wants it."""
        reaction = self._by_type.get(envelope.event_type)
        return None if reaction is None else reaction.read(envelope)

    async def react(
        self, runtime: ServiceRuntime, envelope: EventEnvelope, event: EventModel
    ) -> None:
        await self._by_type[envelope.event_type].react(runtime, envelope, event)

    async def held(self, pool: asyncpg.Pool, keys: Sequence[StreamKey]) -> dict[StreamKey, int]:
        async with pool.acquire() as connection:
            return await self.dead_letters.held(connection, keys)

    async def hold(
        self, pool: asyncpg.Pool, source: str, envelope: EventEnvelope, reason: str
    ) -> None:
        async with pool.acquire() as connection:
            await self.dead_letters.hold(connection, source, envelope, reason)

    async def retry_held(self, runtime: ServiceRuntime) -> int:
        """Run the held streams' events in order where they can be read now; returns how
        many reactions ran. One replica at a time (an advisory lock), since reactions run
        outside the rows' transaction."""
        pool = runtime.require_pool()
        ran = 0
        async with pool.acquire() as connection:
            locked = await connection.fetchval(
                "SELECT pg_try_advisory_lock(hashtext($1))", f"dead-letters:{self.name}"
            )
            if not locked:
                return 0
            try:
                for key in await self.dead_letters.streams(connection):
                    ran += await self._retry_stream(runtime, connection, key)
            finally:
                await connection.execute(
                    "SELECT pg_advisory_unlock(hashtext($1))", f"dead-letters:{self.name}"
                )
        return ran

    async def _retry_stream(
        self, runtime: ServiceRuntime, connection: DbConnection, key: StreamKey
    ) -> int:
        ran = 0
        async with connection.transaction():
            held = await self.dead_letters.stream(connection, key)
        for row in held:
            envelope = row.envelope
            event = self.read(envelope)
            if isinstance(event, Unreadable):
                async with connection.transaction():
                    await self.dead_letters.still_unreadable(
                        connection, key, envelope.stream_version, event.reason
                    )
                break
            if event is not None:
                # A crash between the reaction and the delete runs it again: reactions are
                # idempotent, as for any redelivery.
                await self.react(runtime, envelope, event)
                ran += 1
            await self.dead_letters.release(connection, key, envelope.stream_version)
        if ran:
            log.info("held stream released", consumer=self.name, topic=key[0], stream_id=key[1])
        return ran


__all__ = ["PARKED", "Policy", "Reaction", "reacting"]
