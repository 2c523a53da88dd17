from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from chassis.event_store import PostgresEventStore, create_pool
from chassis.migrate import upgrade_async
from deploy.test_infrastructure import TestInfrastructure


@pytest.fixture
async def database(infrastructure: TestInfrastructure) -> str:
    """A fresh database with the chassis migrations applied; returns its DSN."""
    dsn = await infrastructure.create_database("chassis")
    await upgrade_async(dsn)
    return dsn


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database, max_size=20)
    yield pool
    await pool.close()


@pytest.fixture
def store(pool: asyncpg.Pool) -> PostgresEventStore:
    return PostgresEventStore(pool)
