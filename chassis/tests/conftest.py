from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from chassis.event_store import EventStore, PostgresEventStore, create_pool
from chassis.memory_store import InMemoryEventStore
from chassis.migrate import upgrade_async
from contracts.upcasting import upcast
from deploy.local_stack import LocalTansu
from deploy.test_infrastructure import TestInfrastructure


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "postgres_only(reason): a store test that needs real transactions or a pool, so it"
        " cannot run against the in-memory store",
    )


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
    """The PostgreSQL store (for tests that need its transactions or the broker)."""
    return PostgresEventStore(pool)


@pytest.fixture(params=["postgres", "memory"])
def any_store(request: pytest.FixtureRequest) -> EventStore:
    """Every backend, for the behaviour the store contract promises."""
    if request.param == "memory":
        return InMemoryEventStore(upcast)
    pool = request.getfixturevalue("pool")
    return PostgresEventStore(pool, upcast)


@pytest.fixture
def broker() -> Iterator[LocalTansu]:
    """A broker of this test's own: a test that restarts it (and so empties
    it) leaves the session's broker alone."""
    root = Path(tempfile.mkdtemp(prefix="digipolku-forget-"))
    os.chmod(root, 0o755)
    tansu = LocalTansu(root)
    tansu.start()
    try:
        yield tansu
    finally:
        tansu.stop()
