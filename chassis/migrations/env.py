"""Alembic environment shared by every service: plain SQL migrations over asyncpg.

The chassis's own tables (event store, idempotency keys, relay and projection checkpoints) are
the `chassis` branch; each service adds its read-model tables as a branch of its own, and
`upgrade heads` brings both up.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline SQL generation is not used in Digipolku")
asyncio.run(_run_async())
