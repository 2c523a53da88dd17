"""The access log records staff reads and cannot be edited, not even by the service itself."""

from __future__ import annotations

from uuid import uuid4

import asyncpg
import pytest

from chassis.access_log import CARE_RELATIONSHIP, record_read
from chassis.auth import Principal

COUNSELOR = Principal(subject="staff-1", role="counselor", tenant="kanta-hame")
CLIENT = Principal(subject="c", role="client", tenant="kanta-hame", client_ref="ref-1")


async def test_staff_reads_are_logged_and_a_client_reading_their_own_is_not(
    pool: asyncpg.Pool,
) -> None:
    pathway_id = uuid4()
    await record_read(pool, COUNSELOR, "ref-1", "answers", pathway_id)
    await record_read(pool, CLIENT, "ref-1", "answers", pathway_id)
    rows = await pool.fetch("SELECT reader, reader_role, client_ref, what, why FROM access_log")
    assert [tuple(r) for r in rows] == [
        ("staff-1", "counselor", "ref-1", "answers", CARE_RELATIONSHIP)
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE access_log SET reader = 'someone-else'",
        "DELETE FROM access_log",
        "TRUNCATE access_log",
    ],
)
async def test_the_log_refuses_every_change(pool: asyncpg.Pool, statement: str) -> None:
    await record_read(pool, COUNSELOR, "ref-1", "plan", uuid4())
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await pool.execute(statement)
    assert await pool.fetchval("SELECT count(*) FROM access_log WHERE reader = 'staff-1'") == 1
