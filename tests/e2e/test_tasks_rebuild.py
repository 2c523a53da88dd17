"""Each of tasks' read models of other contexts' events rebuilds from zero to the live rows:
who may see a plan, a path's pauses, its ending, and the guidance meetings held."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import asyncpg
import httpx

from chassis.clock import helsinki_today
from deploy.system import RunningSystem
from services.tasks.adapters.projections import PROJECTIONS
from services.tasks.app import SPEC as TASKS
from tests.e2e.test_rebuild import rebuilt_equals_live
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory
from tests.support.waiting import eventually


def test_every_tasks_projection_rebuilds_to_the_live_rows(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    client = identities.client()
    pathway_id = open_path(system, counselor, client)
    task_id = wait_for_plan(system, client)["weeks"][0]["tasks"][0]["task_id"]
    hold_a_meeting(system, counselor.headers, client.headers, pathway_id, task_id)

    enrolment = f"{system.urls['enrolment']}/pathways/{pathway_id}"
    today = helsinki_today().isoformat()
    for step, body in (
        ("pause", {"paused_on": today}),
        ("resume", {"resumed_on": today}),
        ("complete", {}),
    ):
        response = httpx.post(
            f"{enrolment}/{step}",
            json=body,
            headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
            timeout=10,
        )
        assert response.status_code == 200, (step, response.text)

    dsn = system.infrastructure.postgres.dsn_for("tasks")
    eventually(
        lambda: asyncio.run(all_arrived(dsn, pathway_id)) or None,
        what="the meeting, the pause and the ending in tasks",
    )
    bootstrap = system.infrastructure.kafka.bootstrap_servers
    for projection in PROJECTIONS:
        asyncio.run(
            rebuilt_equals_live(
                dsn, bootstrap, projection, TASKS.subscribes, tables=projection.tables
            )
        )


def hold_a_meeting(
    system: RunningSystem,
    counselor: dict[str, str],
    client: dict[str, str],
    pathway_id: str,
    task_id: str,
) -> None:
    guidance = f"{system.urls['guidance']}/pathways/{pathway_id}"
    asked = eventually(
        lambda: ok_or_none(
            httpx.post(f"{guidance}/meeting-requests", json={"task_id": task_id}, headers=client)
        ),
        what="a meeting request once guidance knows the path",
    )
    meeting_id = asked.json()["meeting_id"]
    starts_at = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0).isoformat()
    scheduled = httpx.put(
        f"{guidance}/meetings/{meeting_id}",
        json={"starts_at": starts_at, "mode": "phone", "task_ids": [task_id]},
        headers=counselor,
    )
    assert scheduled.status_code == 204, scheduled.text
    held = httpx.post(
        f"{guidance}/meetings/{meeting_id}/outcome", json={"held": True}, headers=counselor
    )
    assert held.status_code == 204, held.text


def ok_or_none(response: httpx.Response) -> httpx.Response | None:
    return response if response.status_code in (200, 201) else None


async def all_arrived(dsn: str, pathway_id: str) -> bool:
    connection = await asyncpg.connect(dsn)
    try:
        found = await connection.fetchrow(
            "SELECT"
            " EXISTS (SELECT 1 FROM held_meetings WHERE pathway_id = $1::uuid) AS held,"
            " EXISTS (SELECT 1 FROM plan_pauses WHERE pathway_id = $1::uuid"
            "   AND resumed_on IS NOT NULL) AS paused,"
            " EXISTS (SELECT 1 FROM plan_endings WHERE pathway_id = $1::uuid) AS ended",
            pathway_id,
        )
        return found is not None and all(found.values())
    finally:
        await connection.close()
