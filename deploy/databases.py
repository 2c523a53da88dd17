"""Throwaway databases on a PostgreSQL server we administer: the local stack's, a test
session's, a bench's or the simulator's. Production databases are made by the platform
(decision 0024), never by this."""

from __future__ import annotations

import uuid

import asyncpg

from chassis.migrate import upgrade_async
from chassis.service import ServiceSpec


def dsn_in(admin_dsn: str, database: str) -> str:
    """The DSN of `database` on the server (and as the user) of `admin_dsn`."""
    base, _, _ = admin_dsn.rpartition("/")
    return f"{base}/{database}"


async def create_database(admin_dsn: str, name: str) -> str:
    """A new empty database `name`; its DSN."""
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return dsn_in(admin_dsn, name)


async def service_database(admin_dsn: str, spec: ServiceSpec, prefix: str) -> str:
    """A new database migrated as `spec`'s service migrates its own on start; its DSN."""
    dsn = await create_database(admin_dsn, f"{prefix}_{spec.name}_{uuid.uuid4().hex[:8]}")
    await upgrade_async(dsn, spec.migrations)
    return dsn
