"""A fresh reporting database with its migrations, for tests that project events into it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from deploy.test_infrastructure import TestInfrastructure
from services.reporting.app import HERE as REPORTING


@contextlib.asynccontextmanager
async def reporting_pool(infrastructure: TestInfrastructure) -> AsyncIterator[asyncpg.Pool]:
    async with infrastructure.migrated_pool("reporting", REPORTING / "migrations") as pool:
        yield pool
