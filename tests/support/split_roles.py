"""A database as production has it: owned by a migration role, used by an application role,
neither of them a superuser (decision 0024)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from deploy.test_infrastructure import TestInfrastructure


@dataclass(frozen=True)
class SplitRoles:
    owner_dsn: str
    app_dsn: str
    # The same database as the test infrastructure's superuser (to see what a role cannot).
    admin_dsn: str


def as_role(dsn: str, role: str, password: str) -> str:
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{role}:{quote(password)}@{host}"))


async def database_with_split_roles(infrastructure: TestInfrastructure, prefix: str) -> SplitRoles:
    """A new empty database and its two roles (nothing migrated yet)."""
    tag = uuid.uuid4().hex[:10]
    owner, app, name = f"{prefix}_owner_{tag}", f"{prefix}_app_{tag}", f"{prefix}_{tag}"
    password = secrets.token_hex(16)  # the container's PostgreSQL asks; the local one trusts
    admin = await asyncpg.connect(infrastructure.admin_dsn)
    try:
        for role in (owner, app):
            await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        await admin.execute(f"CREATE DATABASE {name} OWNER {owner}")
    finally:
        await admin.close()
    database = infrastructure.dsn_for(name)
    return SplitRoles(
        as_role(database, owner, password), as_role(database, app, password), database
    )
