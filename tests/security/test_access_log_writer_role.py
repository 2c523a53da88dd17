"""The access log's third role (issue 16): a role that cannot log in holds the log's rights,
and the application role writes the log only as its member.

Against a real PostgreSQL with three real roles, as CloudNativePG declares them
(deploy/kubernetes_databases.py): taking the membership back must stop the service writing
the log, and a missing or misdeclared writer role must be a problem the service refuses
to start on in production.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import pytest

from chassis.access_log import record_read
from chassis.auth import Principal
from chassis.migrate import migrate
from deploy.test_infrastructure import TestInfrastructure
from tests.support.split_roles import SplitRoles, database_with_split_roles

COUNSELOR = Principal(subject="staff-1", role="counselor", tenant="kanta-hame")


def _role(dsn: str) -> str:
    return urlsplit(dsn).username or ""


@pytest.fixture
async def split(infrastructure: TestInfrastructure) -> SplitRoles:
    return await database_with_split_roles(infrastructure, "logw")


@pytest.fixture
async def writer(infrastructure: TestInfrastructure) -> AsyncIterator[str]:
    """A writer role as the platform declares it: no login."""
    name = f"logw_writer_{uuid.uuid4().hex[:10]}"
    await _as_admin(infrastructure, f"CREATE ROLE {name} NOLOGIN")
    yield name


async def _as_admin(infrastructure: TestInfrastructure, *statements: str) -> None:
    admin = await asyncpg.connect(infrastructure.admin_dsn)
    try:
        for statement in statements:
            await admin.execute(statement)
    finally:
        await admin.close()


async def _direct_log_rights(owner_dsn: str, role: str) -> list[str]:
    """The rights on the log granted to `role` itself, not through a membership."""
    connection = await asyncpg.connect(owner_dsn)
    try:
        # On the table, and on its columns (the insert is granted column by column).
        rows = await connection.fetch(
            "SELECT DISTINCT a.privilege_type FROM ("
            "  SELECT relacl AS acl FROM pg_class WHERE oid = 'public.access_log'::regclass"
            "  UNION ALL SELECT attacl FROM pg_attribute"
            "  WHERE attrelid = 'public.access_log'::regclass AND attacl IS NOT NULL"
            ") rights, aclexplode(rights.acl) a WHERE a.grantee = $1::regrole",
            role,
        )
        return sorted(row["privilege_type"] for row in rows)
    finally:
        await connection.close()


async def _write_entry(app_dsn: str) -> None:
    pool = await asyncpg.create_pool(app_dsn, min_size=1, max_size=1)
    assert pool is not None
    try:
        await record_read(pool, COUNSELOR, "ref-1", "answers", uuid.uuid4())
    finally:
        await pool.close()


async def test_the_service_writes_the_log_only_as_the_writer_roles_member(
    infrastructure: TestInfrastructure, split: SplitRoles, writer: str
) -> None:
    app = _role(split.app_dsn)
    await _as_admin(infrastructure, f"GRANT {writer} TO {app}")

    assert await migrate(split.app_dsn, split.owner_dsn, log_writer_role=writer) == []

    await _write_entry(split.app_dsn)
    assert await _direct_log_rights(split.owner_dsn, app) == []
    assert await _direct_log_rights(split.owner_dsn, writer) == ["INSERT", "SELECT"]
    # One grant taken back, and the service can no longer write the log.
    await _as_admin(infrastructure, f"REVOKE {writer} FROM {app}")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await _write_entry(split.app_dsn)


async def test_a_service_role_outside_the_writer_role_is_a_problem(
    split: SplitRoles, writer: str
) -> None:
    problems = await migrate(split.app_dsn, split.owner_dsn, log_writer_role=writer)
    assert any("not a member" in problem and writer in problem for problem in problems), problems


async def test_a_missing_writer_role_is_a_problem(split: SplitRoles) -> None:
    problems = await migrate(split.app_dsn, split.owner_dsn, log_writer_role="logw_nobody")
    assert any("logw_nobody does not exist" in problem for problem in problems), problems


async def test_a_writer_role_that_can_log_in_is_a_problem(
    infrastructure: TestInfrastructure, split: SplitRoles, writer: str
) -> None:
    await _as_admin(
        infrastructure, f"ALTER ROLE {writer} LOGIN", f"GRANT {writer} TO {_role(split.app_dsn)}"
    )
    problems = await migrate(split.app_dsn, split.owner_dsn, log_writer_role=writer)
    assert any("can log in" in problem for problem in problems), problems
