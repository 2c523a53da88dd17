"""Named PostgreSQL advisory locks held until the transaction ends: one way to serialise the
work on one thing (a client, a path, a tenant's statistics) across replicas."""

from __future__ import annotations

from chassis.event_store import DbConnection


async def lock_until_commit(connection: DbConnection, name: str) -> None:
    """Wait for, then hold, the lock named `name` until this transaction ends (64-bit hash
    of the name, so unrelated names practically never share a lock)."""
    await connection.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", name)
