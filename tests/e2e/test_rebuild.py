"""Rebuilding the services' projections from zero gives the live read models."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from uuid import uuid4

import asyncpg
import httpx

from chassis.event_store import create_pool
from chassis.projector import Projection, Projector
from chassis.rebuild import rebuild
from deploy.system import RunningSystem
from services.guidance.adapters.caseload_projection import CASELOAD
from services.guidance.app import SPEC as GUIDANCE
from services.reporting.adapters.figures_projection import FIGURES
from services.reporting.app import SPEC as REPORTING
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory
from tests.support.waiting import eventually

# When a row was last written: a rebuild writes every row again, so only this may differ.
WRITTEN_AT = "updated_at"


async def snapshot(pool: asyncpg.Pool, table: str) -> list[tuple[object, ...]]:
    rows = await pool.fetch(f"SELECT * FROM {table}")
    found = [tuple(value for key, value in row.items() if key != WRITTEN_AT) for row in rows]
    return sorted(found, key=repr)  # some tables have several rows per path, one none


async def rebuilt_equals_live(
    dsn: str,
    bootstrap: str,
    projection: Projection,
    topics: Sequence[str],
    tables: Sequence[str] | None = None,
) -> None:
    """`tables`: those compared (the projection's first unless given)."""
    compared = list(tables or projection.tables[:1])
    pool = await create_pool(dsn, max_size=2)
    try:
        live = {table: await snapshot(pool, table) for table in compared}
        assert live[compared[0]], f"{compared[0]} is empty: nothing to compare"
        await rebuild(Projector(pool, projection), bootstrap, topics)
        assert {table: await snapshot(pool, table) for table in compared} == live
    finally:
        await pool.close()


async def reporting_answers(dsn: str, pathway_id: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        answers = await connection.fetchval(
            "SELECT answers FROM report_paths WHERE pathway_id = $1::uuid", pathway_id
        )
        return int(answers or 0)
    finally:
        await connection.close()


def test_caseload_and_figures_rebuild_to_the_same_rows(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    client = identities.client()
    pathway_id = open_path(system, counselor, client)
    plan = wait_for_plan(system, client)
    week_one = plan["weeks"][0]["tasks"]
    for task in week_one:
        response = httpx.post(
            f"{system.urls['tasks']}/pathways/{pathway_id}/tasks/{task['task_id']}/answers",
            json={"text": "Vastaus"},
            headers={**client.headers, "Idempotency-Key": str(uuid4())},
        )
        assert response.status_code == 201

    def answers_projected() -> bool:
        rows = httpx.get(f"{system.urls['guidance']}/caseload", headers=counselor.headers).json()
        return any(r["pathway_id"] == pathway_id and r["answers"] == len(week_one) for r in rows)

    eventually(answers_projected, what="answers in the caseload")
    postgres = system.infrastructure.postgres
    bootstrap = system.infrastructure.kafka.bootstrap_servers
    guidance = postgres.dsn_for("guidance")
    asyncio.run(rebuilt_equals_live(guidance, bootstrap, CASELOAD, GUIDANCE.subscribes))
    reporting = postgres.dsn_for("reporting")
    eventually(
        lambda: asyncio.run(reporting_answers(reporting, pathway_id)) == len(week_one),
        what="answers in reporting",
    )
    asyncio.run(
        rebuilt_equals_live(
            reporting, bootstrap, FIGURES, REPORTING.subscribes, tables=FIGURES.tables
        )
    )
