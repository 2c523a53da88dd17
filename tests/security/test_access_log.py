"""An access log you can trust (issue 12, item 9; decision 0024).

The service's own database role may only add to the log: PostgreSQL refuses it every change,
and every way of lifting the log's guard. Each entry is hash-chained in the database, so an
edit by anyone who can lift the guard (the owner, a superuser) is found at that very entry by
the verify command, and concurrent writers still make one linear chain. A read is logged when a
person is shown: a list that refreshes itself does not log everyone on it again.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from chassis.access_log import record_read
from chassis.access_log_chain import verify_chain
from chassis.auth import Principal
from chassis.db_roles import app_role_problems
from chassis.migrate import migrate
from deploy.system import SERVICES, RunningSystem, app_role, migration_role
from deploy.test_infrastructure import TestInfrastructure
from tests.support.api import open_path
from tests.support.identities import IdentityFactory, Person
from tests.support.split_roles import SplitRoles, database_with_split_roles
from tests.support.waiting import eventually

REPO_ROOT = Path(__file__).resolve().parents[2]
COUNSELOR = Principal(subject="staff-1", role="counselor", tenant="kanta-hame")

# Everything the service's own role might try to make the log say something else. PostgreSQL
# itself must refuse each (insufficient privilege), before the log's own trigger is reached.
CHANGES = [
    "UPDATE access_log SET reader = 'someone-else'",
    "DELETE FROM access_log",
    "TRUNCATE access_log",
    "ALTER TABLE access_log DISABLE TRIGGER access_log_append_only",
    "ALTER TABLE access_log DISABLE TRIGGER access_log_chain",
    "ALTER TABLE access_log DISABLE TRIGGER ALL",
    "DROP TRIGGER access_log_append_only ON access_log",
    "DROP TRIGGER access_log_chain ON access_log",
    "ALTER TABLE access_log ADD COLUMN note text",
    "ALTER TABLE access_log RENAME TO old_access_log",
    "DROP TABLE access_log",
    "UPDATE access_log_chain_head SET length = 0",
    "CREATE OR REPLACE FUNCTION access_log_is_append_only() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    # Writing an entry with a time or a hash of the writer's choosing.
    "INSERT INTO access_log (read_at, tenant, reader, reader_role, client_ref, what, why)"
    " VALUES (now() - interval '1 year', 't', 'r', 'counselor', 'c', 'plan', 'x')",
    "INSERT INTO access_log (tenant, reader, reader_role, client_ref, what, why, row_hash)"
    " VALUES ('t', 'r', 'counselor', 'c', 'plan', 'x', '\\x00')",
]


@pytest.fixture
async def split(infrastructure: TestInfrastructure) -> SplitRoles:
    """A database migrated as its owner, used by a separate application role."""
    roles = await database_with_split_roles(infrastructure, "log")
    assert await migrate(roles.app_dsn, roles.owner_dsn) == []
    return roles


@pytest.fixture
async def app_pool(split: SplitRoles) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(split.app_dsn, min_size=1, max_size=12)
    assert pool is not None
    yield pool
    await pool.close()


async def _verdict(dsn: str) -> Any:
    connection = await asyncpg.connect(dsn)
    try:
        return await verify_chain(connection)
    finally:
        await connection.close()


async def _log_some(pool: asyncpg.Pool, count: int) -> list[int]:
    for n in range(count):
        await record_read(pool, COUNSELOR, f"ref-{n}", "answers", uuid4())
    return [row["entry_id"] for row in await pool.fetch("SELECT entry_id FROM access_log")]


async def _as_owner(split: SplitRoles, *statements: str) -> None:
    """What someone with the owner's rights (or a superuser's) could do to the log."""
    connection = await asyncpg.connect(split.owner_dsn)
    try:
        async with connection.transaction():
            await connection.execute(
                "ALTER TABLE access_log DISABLE TRIGGER access_log_append_only"
            )
            for statement in statements:
                await connection.execute(statement)
            await connection.execute("ALTER TABLE access_log ENABLE TRIGGER access_log_append_only")
    finally:
        await connection.close()


def _verify_command(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DIGIPOLKU_")}
    return subprocess.run(
        [sys.executable, *args],
        env={**environment, "PYTHONPATH": str(REPO_ROOT)},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- The application role may only add ---------------------------------------------------


@pytest.mark.parametrize("statement", CHANGES)
async def test_postgresql_refuses_the_service_role_every_change_to_the_log(
    app_pool: asyncpg.Pool, statement: str
) -> None:
    await _log_some(app_pool, 2)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_pool.execute(statement)
    assert await app_pool.fetchval("SELECT count(*) FROM access_log") == 2
    assert (await verify_chain_of(app_pool)).ok


async def verify_chain_of(pool: asyncpg.Pool) -> Any:
    async with pool.acquire() as connection:
        return await verify_chain(connection)


async def test_the_service_role_adds_and_reads_and_the_start_check_finds_it_harmless(
    split: SplitRoles, app_pool: asyncpg.Pool
) -> None:
    entries = await _log_some(app_pool, 3)
    assert len(entries) == 3
    async with app_pool.acquire() as connection:
        assert await app_role_problems(connection) == []
    # The owner is what the service would be without a migration role of its own.
    owner = await asyncpg.connect(split.owner_dsn)
    try:
        problems = await app_role_problems(owner)
    finally:
        await owner.close()
    assert problems and "owns the access log" in problems[0]


# --- The chain ------------------------------------------------------------------------------


async def test_an_edited_entry_is_reported_at_that_entry_by_the_verify_command(
    split: SplitRoles, app_pool: asyncpg.Pool
) -> None:
    entries = await _log_some(app_pool, 5)
    ok = _verify_command("-m", "chassis.access_log_verify", "--database-url", split.app_dsn)
    assert ok.returncode == 0 and ok.stdout.startswith("ok, 5 entries"), ok.stdout + ok.stderr

    tampered = entries[2]
    await _as_owner(
        split, f"UPDATE access_log SET reader = 'someone-else' WHERE entry_id = {tampered}"
    )

    verdict = await _verdict(split.admin_dsn)
    assert verdict.broken is not None
    assert verdict.broken.entry_id == tampered and verdict.broken.chain_seq == 3
    assert verdict.broken.expected != verdict.broken.found
    said = _verify_command(
        "-m", "services.cli", "verify-access-log", "--database-url", split.app_dsn
    )
    assert said.returncode == 1, said.stdout + said.stderr
    assert f"broken at entry {tampered} (chain position 3)" in said.stdout
    assert "expected" in said.stdout and "found" in said.stdout


async def test_an_edit_with_its_hash_recomputed_breaks_the_next_link(
    split: SplitRoles, app_pool: asyncpg.Pool
) -> None:
    entries = await _log_some(app_pool, 4)
    # The editor recomputes the edited entry's own hash with the database's function.
    await _as_owner(
        split,
        f"UPDATE access_log SET what = 'nothing' WHERE entry_id = {entries[1]}",
        "UPDATE access_log SET row_hash = access_log_row_hash(prev_hash, chain_seq, entry_id,"
        " read_at, tenant, reader, reader_role, client_ref, pathway_id, what, why,"
        f" correlation_id) WHERE entry_id = {entries[1]}",
    )
    verdict = await _verdict(split.admin_dsn)
    assert verdict.broken is not None and verdict.broken.entry_id == entries[2]
    assert "link" in verdict.broken.what


async def test_a_removed_entry_is_found_at_the_entry_after_it(
    split: SplitRoles, app_pool: asyncpg.Pool
) -> None:
    entries = await _log_some(app_pool, 5)
    await _as_owner(split, f"DELETE FROM access_log WHERE entry_id = {entries[1]}")
    verdict = await _verdict(split.admin_dsn)
    assert verdict.broken is not None and verdict.broken.entry_id == entries[2]
    assert "missing" in verdict.broken.what


async def test_entries_cut_off_the_end_are_found_at_the_head(
    split: SplitRoles, app_pool: asyncpg.Pool
) -> None:
    entries = await _log_some(app_pool, 3)
    await _as_owner(split, f"DELETE FROM access_log WHERE entry_id = {entries[-1]}")
    verdict = await _verdict(split.admin_dsn)
    assert verdict.broken is not None and verdict.broken.entry_id is None
    assert verdict.entries == 2


async def test_concurrent_writers_with_slow_commits_and_rollbacks_keep_one_chain(
    app_pool: asyncpg.Pool,
) -> None:
    committed = 0

    async def writer(n: int) -> None:
        nonlocal committed
        rng = random.Random(n)
        for i in range(15):
            async with app_pool.acquire() as connection:
                transaction = connection.transaction()
                await transaction.start()
                await record_read(connection, COUNSELOR, f"ref-{n}-{i}", "plan", uuid4())
                await asyncio.sleep(rng.random() * 0.01)  # a slow commit holds the others
                if rng.random() < 0.2:
                    await transaction.rollback()
                else:
                    await transaction.commit()
                    committed += 1

    await asyncio.gather(*(writer(n) for n in range(10)))
    verdict = await verify_chain_of(app_pool)
    assert verdict.ok, str(verdict)
    assert (
        verdict.entries == committed == await app_pool.fetchval("SELECT count(*) FROM access_log")
    )


# --- The running system -------------------------------------------------------------------


def _dsn(system: RunningSystem, service: str, role: str | None = None) -> str:
    postgres = system.infrastructure.postgres
    return postgres.dsn_for(service, role) if role else postgres.dsn_for(service)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_as_a_role_that_can_only_add_to_its_log(
    system: RunningSystem, service: str
) -> None:
    async def check() -> None:
        connection = await asyncpg.connect(_dsn(system, service, app_role(service)))
        try:
            assert await app_role_problems(connection) == []
            owner = await connection.fetchval(
                "SELECT tableowner FROM pg_tables WHERE tablename = 'access_log'"
            )
            assert owner == migration_role(service)
            for statement in CHANGES[:7]:
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(check())


def _entries(system: RunningSystem, service: str, client_ref: str) -> list[tuple[str, str]]:
    async def read() -> list[tuple[str, str]]:
        connection = await asyncpg.connect(_dsn(system, service))
        try:
            rows = await connection.fetch(
                "SELECT reader, what FROM access_log WHERE client_ref = $1 ORDER BY chain_seq",
                client_ref,
            )
        finally:
            await connection.close()
        return [(row["reader"], row["what"]) for row in rows]

    return asyncio.run(read())


def _caseload(system: RunningSystem, counselor: Person, **params: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{system.urls['guidance']}/caseload", params=params, headers=counselor.headers, timeout=10
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def _row_of(system: RunningSystem, counselor: Person, pathway_id: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        rows = _caseload(system, counselor)
        return next((r for r in rows if r["pathway_id"] == pathway_id and r["client_ref"]), None)

    return eventually(probe, what="the path on the caseload")


def test_a_refreshing_caseload_logs_nobody_again_while_opening_a_client_does(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    first = open_path(system, counselor, identities.client())
    client_ref = str(_row_of(system, counselor, first)["client_ref"])
    guidance, enrolment = system.urls["guidance"], system.urls["enrolment"]

    # What the caseload page does by itself: the rows again on every change and reconnect,
    # in another order, and the names from enrolment.
    for sort in ("attention", "week", "start_date", "last_activity"):
        _caseload(system, counselor, sort=sort)
    for _ in range(3):
        names = httpx.get(f"{enrolment}/pathways?limit=500", headers=counselor.headers)
        assert names.status_code == 200, names.text
    assert _entries(system, "guidance", client_ref) == [(counselor.subject, "caseload")]
    assert _entries(system, "enrolment", client_ref) == [(counselor.subject, "pathway_list")]

    # Someone new on the list is logged at once, and only once.
    second = open_path(system, counselor, identities.client())
    newcomer = str(_row_of(system, counselor, second)["client_ref"])
    _caseload(system, counselor)
    assert _entries(system, "guidance", newcomer) == [(counselor.subject, "caseload")]
    assert _entries(system, "guidance", client_ref) == [(counselor.subject, "caseload")]

    # Opening the client's details is a read every time.
    for _ in range(2):
        opened = httpx.get(f"{guidance}/pathways/{first}/feedback", headers=counselor.headers)
        assert opened.status_code == 200, opened.text
        path = httpx.get(f"{enrolment}/pathways/{first}", headers=counselor.headers)
        assert path.status_code == 200, path.text
    assert _entries(system, "guidance", client_ref) == [
        (counselor.subject, "caseload"),
        (counselor.subject, "feedback"),
        (counselor.subject, "feedback"),
    ]
    assert _entries(system, "enrolment", client_ref)[-2:] == [(counselor.subject, "pathway")] * 2

    # Every service's chain holds after these real reads, by the operators' command.
    for service in SERVICES:
        said = _verify_command(
            "-m",
            "services.cli",
            "verify-access-log",
            "--database-url",
            _dsn(system, service, app_role(service)),
        )
        assert said.returncode == 0 and said.stdout.startswith("ok, "), said.stdout + said.stderr
