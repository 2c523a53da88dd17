"""Each of guidance's read models rebuilds from zero to the live rows: the caseload (with the
paths' curriculum versions and the counselors' own deeds) and the answers guidance has seen."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import asyncpg
import httpx

from deploy.system import RunningSystem
from services.guidance.adapters.answers_projection import ANSWERS_SEEN
from services.guidance.adapters.caseload_projection import CASELOAD
from services.guidance.app import SPEC as GUIDANCE
from tests.e2e.test_rebuild import rebuilt_equals_live
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory
from tests.support.waiting import eventually


def test_every_guidance_projection_rebuilds_to_the_live_rows(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    client = identities.client()
    pathway_id = open_path(system, counselor, client)
    plan = wait_for_plan(system, client)
    task_id = plan["weeks"][0]["tasks"][0]["task_id"]
    guidance = f"{system.urls['guidance']}/pathways/{pathway_id}"
    answered = httpx.post(
        f"{system.urls['tasks']}/pathways/{pathway_id}/tasks/{task_id}/answers",
        json={"text": "Vastaus"},
        headers={**client.headers, "Idempotency-Key": str(uuid4())},
        timeout=10,
    )
    assert answered.status_code == 201, answered.text
    answer_id = answered.json()["answer_id"]

    def feedback_given() -> bool:
        response = httpx.post(
            f"{guidance}/answers/{answer_id}/feedback",
            json={"text": "Hyvä alku!"},
            headers={**counselor.headers, "Idempotency-Key": f"palaute-{answer_id}"},
            timeout=10,
        )
        return response.status_code in (200, 201)

    eventually(feedback_given, what="feedback once guidance has seen the answer")
    asked = httpx.post(
        f"{guidance}/meeting-requests", json={"task_id": task_id}, headers=client.headers
    )
    assert asked.status_code in (200, 201), asked.text
    starts_at = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
    scheduled = httpx.put(
        f"{guidance}/meetings/{asked.json()['meeting_id']}",
        json={"starts_at": starts_at, "mode": "phone", "task_ids": [task_id]},
        headers=counselor.headers,
    )
    assert scheduled.status_code == 204, scheduled.text

    def caseload_has_it_all() -> bool:
        rows = httpx.get(f"{system.urls['guidance']}/caseload", headers=counselor.headers).json()
        row = next((r for r in rows if r["pathway_id"] == pathway_id), None)
        return row is not None and row["answers"] == 1 and row["feedback_waiting"] == 0

    eventually(caseload_has_it_all, what="the answer and the feedback in the caseload")
    # The meeting's own events come back through guidance's topic: wait until they are in.
    dsn = system.infrastructure.postgres.dsn_for("guidance")
    bootstrap = system.infrastructure.kafka.bootstrap_servers
    eventually(
        lambda: asyncio.run(_meetings_settled(dsn, pathway_id)),
        what="the meeting's events in the caseload",
    )
    asyncio.run(
        rebuilt_equals_live(dsn, bootstrap, CASELOAD, GUIDANCE.subscribes, tables=CASELOAD.tables)
    )
    asyncio.run(
        rebuilt_equals_live(
            dsn, bootstrap, ANSWERS_SEEN, GUIDANCE.subscribes, tables=ANSWERS_SEEN.tables
        )
    )


async def _meetings_settled(dsn: str, pathway_id: str) -> bool:
    connection = await asyncpg.connect(dsn)
    try:
        row = await connection.fetchrow(
            "SELECT curriculum_version, meetings_waiting, last_feedback_at FROM caseload"
            " WHERE pathway_id = $1::uuid",
            pathway_id,
        )
        return (
            row is not None
            and row["curriculum_version"] is not None
            and row["meetings_waiting"] == []
            and row["last_feedback_at"] is not None
        )
    finally:
        await connection.close()
