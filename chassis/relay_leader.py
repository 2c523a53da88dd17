"""Which relay of an event store is the active one: the holder of a PostgreSQL advisory lock.

Every replica of a service runs a relay; only the one holding the store's session-level
advisory lock publishes, the others stand by and try again every second. The lock lives on a
connection of its own, so it ends with that connection: a leader that is killed, or whose
database restarts, loses it at once and a standby takes over within about a second. The
leader writes its checkpoint through the same connection, so a leader that has lost the lock
cannot move the position on (decision 0026).

A paused leader (SIGSTOP) keeps its connection and with it the lock: nothing is handed over
until it resumes or its connection is closed. Consumers lose nothing meanwhile; new events
wait in the store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from chassis.logs import get_logger

log = get_logger(__name__)

Connect = Callable[[], Awaitable[asyncpg.Connection]]

_LOCK_PREFIX = "digipolku-relay:"


class RelayLeadership:
    """Tries to hold the store's relay lock; says whether it does."""

    def __init__(self, connect: Connect, relay_name: str) -> None:
        self._connect = connect
        self._key = _LOCK_PREFIX + relay_name
        self._connection: asyncpg.Connection | None = None
        self._held = False

    @classmethod
    def for_database(cls, database_url: str, relay_name: str) -> RelayLeadership:
        async def connect() -> asyncpg.Connection:
            return await asyncpg.connect(database_url, timeout=5)

        return cls(connect, relay_name)

    @property
    def held(self) -> bool:
        """Whether this relay held the lock when last asked (its connection still open)."""
        return self._held and self._connection is not None and not self._connection.is_closed()

    @property
    def connection(self) -> asyncpg.Connection:
        """The lock's connection: the leader's checkpoint writes go through it."""
        if self._connection is None or not self.held:
            raise LeadershipLost(self._key)
        return self._connection

    async def try_lead(self) -> bool:
        """Take the lock if it is free (reconnecting first if the connection is gone), or
        confirm that the connection holding it still answers. True: this relay leads."""
        try:
            if self._connection is None or self._connection.is_closed():
                self._held = False
                self._connection = await self._connect()
            if self._held:
                await self._connection.fetchval("SELECT 1")
                return True
            self._held = bool(
                await self._connection.fetchval(
                    "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", self._key
                )
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            # The database is away: whatever this relay held went with its session.
            await self._drop_connection()
        return self._held

    async def release(self) -> None:
        """Give the lock up (closing the connection ends the session and with it the lock)."""
        await self._drop_connection()

    async def _drop_connection(self) -> None:
        self._held = False
        connection, self._connection = self._connection, None
        if connection is None or connection.is_closed():
            return
        try:
            await connection.close(timeout=2)
        except Exception:  # the server is gone or does not answer: just drop the socket
            connection.terminate()


class LeadershipLost(RuntimeError):
    """The relay no longer holds its store's lock; it must stop publishing."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the relay lock {key!r} is not held")
