"""Erasure: a client's identity and words leave every service; the counts stay right.

The client writes an answer, a draft and the reason for their direction; the counselor gives
feedback and writes a meeting note. After an admin erases the client, no table in any of the
four databases holds their name, identity code or any of those words, and reporting's row for
the path is what it was.
"""

from __future__ import annotations

import asyncio
from uuid import uuid4

import asyncpg
import httpx

from deploy.system import SERVICES, RunningSystem
from tests.support.api import erase_client, open_path_body, wait_for_plan
from tests.support.identities import IdentityFactory
from tests.support.page_forms import form_headers
from tests.support.sign_in import sign_in
from tests.support.waiting import eventually


async def rows_containing(dsn: str, needles: list[str]) -> list[str]:
    """Every table row, as text, that contains one of the needles."""
    connection = await asyncpg.connect(dsn)
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        found = []
        for table in tables:
            name = table["tablename"]
            rows = await connection.fetch(f'SELECT t::text AS row FROM "{name}" t')
            found += [f"{name}: {r['row']}" for r in rows if any(n in r["row"] for n in needles)]
        return found
    finally:
        await connection.close()


async def reporting_row(dsn: str, pathway_id: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        row = await connection.fetchval(
            "SELECT t::text FROM report_paths t WHERE pathway_id = $1::uuid", pathway_id
        )
        return str(row)
    finally:
        await connection.close()


def test_erasure_leaves_no_text_or_identity_and_keeps_the_counts(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    admin = identities.staff("admin")
    client = identities.client()
    marker = uuid4().hex[:10]
    words = {
        "answer": f"VASTAUS-{marker}",
        "draft": f"LUONNOS-{marker}",
        "reason": f"PERUSTELU-{marker}",
        "feedback": f"PALAUTE-{marker}",
        "note": f"MUISTIINPANO-{marker}",
        "first_name": f"Etu{marker}",
        "last_name": f"Suku{marker}",
    }
    tasks, guidance = system.urls["tasks"], system.urls["guidance"]
    opened = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        json=open_path_body(client, first_name=words["first_name"], last_name=words["last_name"]),
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
    )
    assert opened.status_code == 201, opened.text
    pathway_id, client_ref = opened.json()["pathway_id"], opened.json()["client_ref"]
    plan = wait_for_plan(system, client)
    first, second = plan["weeks"][0]["tasks"][:2]
    answered = httpx.post(
        f"{tasks}/pathways/{pathway_id}/tasks/{first['task_id']}/answers",
        json={"text": words["answer"]},
        headers={**client.headers, "Idempotency-Key": str(uuid4())},
    )
    assert answered.status_code == 201, answered.text
    answer_id = answered.json()["answer_id"]
    # A draft is kept by the page's script, within the browser's session (decision 0022).
    session = sign_in(system, "tasks", identity_code=client.identity_code)
    draft = httpx.put(
        f"{tasks}/tehtavat/{second['task_id']}/luonnos",
        json={"text": words["draft"]},
        headers=form_headers(session),
    )
    assert draft.status_code == 204, draft.text
    for _ in range(4):
        httpx.post(f"{tasks}/pathways/{pathway_id}/weeks/open-next", headers=counselor.headers)
    chosen = httpx.post(
        f"{tasks}/pathways/{pathway_id}/direction",
        json={"direction": "education", "reason": words["reason"]},
        headers=client.headers,
    )
    assert chosen.status_code == 201, chosen.text

    def feedback_given() -> bool:
        response = httpx.post(
            f"{guidance}/pathways/{pathway_id}/answers/{answer_id}/feedback",
            json={"text": words["feedback"]},
            headers={**counselor.headers, "Idempotency-Key": f"erasure-{marker}"},
        )
        return response.status_code in (200, 201)

    eventually(feedback_given, what="feedback once guidance has seen the answer")
    requested = httpx.post(
        f"{guidance}/pathways/{pathway_id}/meeting-requests",
        json={"task_id": None},
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
    )
    assert requested.status_code == 201, requested.text
    noted = httpx.post(
        f"{guidance}/pathways/{pathway_id}/meetings/{requested.json()['meeting_id']}/notes",
        json={"text": words["note"]},
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
    )
    assert noted.status_code in (200, 201), noted.text

    postgres = system.infrastructure.postgres
    needles = [*words.values(), str(client.identity_code)]
    before = {
        name: asyncio.run(rows_containing(postgres.dsn_for(name), needles)) for name in SERVICES
    }
    # The test can fail: each word is somewhere before the erasure.
    seen = " ".join(row for rows in before.values() for row in rows)
    assert all(words[key] in seen for key in ("answer", "draft", "reason", "feedback", "note"))

    def reporting_has_the_direction() -> str | None:
        row = asyncio.run(reporting_row(postgres.dsn_for("reporting"), pathway_id))
        return row if "education" in row else None

    counts_before = eventually(reporting_has_the_direction, what="reporting has the direction")

    erase_client(system, admin, client_ref)

    def nothing_left() -> bool:
        left = {n: asyncio.run(rows_containing(postgres.dsn_for(n), needles)) for n in SERVICES}
        return not any(left.values())

    eventually(nothing_left, timeout=45, what="no text or identity in any table")
    assert asyncio.run(reporting_row(postgres.dsn_for("reporting"), pathway_id)) == counts_before
