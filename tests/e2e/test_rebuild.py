"""Rebuilding the services' projections from zero, blue/green beside the live tables (decision
0033), gives the live read models; the services go on serving and consuming from the new
tables."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit
from uuid import uuid4

import asyncpg
import httpx

from chassis.blue_green import rebuild_blue_green
from chassis.event_store import create_pool
from chassis.projector import REWRITTEN_ON_REPLAY, Projection
from deploy.system import REPO_ROOT, RunningSystem, app_role, migration_role
from services.guidance.adapters.caseload_projection import CASELOAD
from services.guidance.app import SPEC as GUIDANCE
from services.reporting.adapters.figures_projection import FIGURES
from services.reporting.app import SPEC as REPORTING
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory
from tests.support.waiting import eventually


async def snapshot(pool: asyncpg.Pool, table: str) -> list[tuple[object, ...]]:
    rows = await pool.fetch(f"SELECT * FROM {table}")
    found = [
        tuple(value for key, value in row.items() if key not in REWRITTEN_ON_REPLAY) for row in rows
    ]
    return sorted(found, key=repr)  # some tables have several rows per path, one none


async def rebuilt_equals_live(
    dsn: str,
    bootstrap: str,
    projection: Projection,
    topics: Sequence[str],
    tables: Sequence[str] | None = None,
) -> None:
    """`tables`: those compared (the projection's first unless given). Rebuilt as the tables'
    owner, as the operator's command does, and read back as the service's own role."""
    compared = list(tables or projection.tables[:1])
    pool = await create_pool(as_role(dsn, app_role), max_size=2)
    try:
        live = {table: await snapshot(pool, table) for table in compared}
        assert live[compared[0]], f"{compared[0]} is empty: nothing to compare"
        await rebuild_blue_green(as_role(dsn, migration_role), projection, bootstrap, topics)
        assert {table: await snapshot(pool, table) for table in compared} == live
    finally:
        await pool.close()


def as_role(dsn: str, role_of: Callable[[str], str]) -> str:
    """The same database as another of its service's roles (the database is the service's)."""
    parts = urlsplit(dsn)
    database = parts.path.lstrip("/")
    return f"postgresql://{role_of(database)}@{parts.hostname}:{parts.port}/{database}"


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


def test_the_rebuild_command_switches_guidance_to_a_rebuilt_caseload_it_goes_on_with(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    """`python -m services.cli rebuild caseload`, with guidance's own settings, while
    guidance serves: the same rows after, and the next answer reaches the new table."""
    counselor = identities.staff("counselor")
    client = identities.client()
    pathway_id = open_path(system, counselor, client)
    tasks = wait_for_plan(system, client)["weeks"][0]["tasks"]

    def answer(task: dict[str, str]) -> None:
        response = httpx.post(
            f"{system.urls['tasks']}/pathways/{pathway_id}/tasks/{task['task_id']}/answers",
            json={"text": "Vastaus"},
            headers={**client.headers, "Idempotency-Key": str(uuid4())},
        )
        assert response.status_code == 201, response.text

    def caseload_answers() -> int | None:
        rows = httpx.get(f"{system.urls['guidance']}/caseload", headers=counselor.headers).json()
        return next((r["answers"] for r in rows if r["pathway_id"] == pathway_id), None)

    answer(tasks[0])
    eventually(lambda: caseload_answers() == 1, what="the first answer in the caseload")
    guidance = system.infrastructure.postgres.dsn_for("guidance")
    before = asyncio.run(_caseload(guidance))
    launch = system.processes["guidance"].launch
    assert launch is not None and launch.env is not None
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "rebuild", "caseload"],
        env=launch.env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "caseload: rebuilt from" in done.stdout
    assert "rebuild progress" in done.stdout + done.stderr
    assert asyncio.run(_caseload(guidance)) == before
    answer(tasks[1])
    eventually(lambda: caseload_answers() == 2, what="the next answer in the new caseload")


async def _caseload(dsn: str) -> list[tuple[object, ...]]:
    pool = await create_pool(dsn, max_size=1)
    try:
        return await snapshot(pool, "caseload")
    finally:
        await pool.close()
