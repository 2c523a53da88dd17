"""A fresh reporting database with its migrations, for tests that project events into it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from chassis.event_store import create_pool
from chassis.migrate import upgrade_async
from deploy.test_infrastructure import TestInfrastructure
from services.reporting.app import HERE as REPORTING


@contextlib.asynccontextmanager
async def reporting_pool(infrastructure: TestInfrastructure) -> AsyncIterator[asyncpg.Pool]:
    dsn = await infrastructure.create_database("reporting")
    await upgrade_async(dsn, REPORTING / "migrations")
    pool = await create_pool(dsn, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()
