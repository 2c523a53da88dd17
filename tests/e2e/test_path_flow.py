"""A path from opening to the direction choice, through all four services over HTTP."""

from __future__ import annotations

import json
from uuid import uuid4

import httpx

from deploy.system import SERVICES, RunningSystem
from tests.support.api import open_path_body, wait_for_plan
from tests.support.figures import counted
from tests.support.identities import IdentityFactory, Person
from tests.support.registries import register
from tests.support.waiting import eventually


def test_open_answer_choose_shows_in_caseload_and_reporting(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    manager = identities.staff("manager")
    clients = [identities.client() for _ in range(5)]  # reporting hides groups under five
    correlation_id = str(uuid4())
    tasks = system.urls["tasks"]
    # A cohort of their own, so that other tests' paths do not move these figures.
    cohort = f"polku-{uuid4().hex[:8]}"
    register(system, cohorts=[cohort])

    def open_path(client: Person) -> str:
        response = httpx.post(
            f"{system.urls['enrolment']}/pathways",
            json=open_path_body(client, cohort=cohort),
            headers={
                **counselor.headers,
                "Idempotency-Key": str(uuid4()),
                "X-Correlation-ID": correlation_id,
            },
            timeout=10,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["pathway_id"])

    pathway_ids = [open_path(client) for client in clients]
    for client, pathway_id in zip(clients, pathway_ids, strict=True):
        plan = wait_for_plan(system, client)
        assert plan["pathway_id"] == pathway_id
        assert plan["current_week"] == 1
        first_task = plan["weeks"][0]["tasks"][0]["task_id"]
        answered = httpx.post(
            f"{tasks}/pathways/{pathway_id}/tasks/{first_task}/answers",
            json={"text": "Olen hyvä kuuntelemaan ja pidän käsillä tekemisestä."},
            headers={**client.headers, "Idempotency-Key": str(uuid4())},
        )
        assert answered.status_code == 201, answered.text
        for _ in range(4):  # the counselor opens weeks 2–5 ahead of the calendar
            opened = httpx.post(
                f"{tasks}/pathways/{pathway_id}/weeks/open-next", headers=counselor.headers
            )
            assert opened.status_code == 200, opened.text
        chosen = httpx.post(
            f"{tasks}/pathways/{pathway_id}/direction",
            json={"direction": "work", "reason": "Haluan päästä töihin keittiöön."},
            headers=client.headers,
        )
        assert chosen.status_code == 201, chosen.text

    def caseload_shows_everything() -> list[dict[str, object]] | None:
        rows = httpx.get(f"{system.urls['guidance']}/caseload", headers=counselor.headers).json()
        mine = [row for row in rows if row["pathway_id"] in pathway_ids]
        done = len(mine) == 5 and all(
            row["answers"] == 1 and row["direction"] == "work" and row["current_week"] == 5
            for row in mine
        )
        return mine if done else None

    eventually(caseload_shows_everything, timeout=30, what="caseload with answers and direction")

    def figures_show_everything() -> dict[str, dict[str, object]] | None:
        figures = httpx.get(
            f"{system.urls['reporting']}/figures",
            params={"cohort": cohort},
            headers=manager.headers,
        ).json()
        # Five paths, all chose work: each count the five moved by their cell's noise.
        ok = figures["funnel"]["opened"] == counted(pathway_ids) and figures["direction"][
            "work"
        ] == counted(pathway_ids)
        return figures if ok else None

    eventually(figures_show_everything, timeout=30, what="reporting counts")

    # The correlation id of the opening request reached every consumer's log lines.
    for name in SERVICES:
        lines = [
            json.loads(line)
            for line in system.log_of(name).read_text().splitlines()
            if line.startswith("{")
        ]
        carrying = [line for line in lines if line.get("correlation_id") == correlation_id]
        assert carrying, f"{name} logged nothing with the request's correlation id"
        if name != "enrolment":
            assert any(line.get("event") == "event consumed" for line in carrying), name
