"""The calendar over the real services: weeks open as events, a pause moves the schedule."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx

from chassis.clock import helsinki_today
from chassis.event_store import PostgresEventStore, create_pool
from chassis.streams import CommandContext
from chassis.unit_of_work import CommandPipeline
from contracts.envelope import Actor
from contracts.upcasting import upcast
from deploy.system import RunningSystem
from services.tasks.adapters.command_tables import PostgresCalendars
from services.tasks.adapters.schedule_tables import due_pathways
from services.tasks.application.policies import PlanPolicies
from tests.support.api import open_path_body, wait_for_plan
from tests.support.identities import TENANT, IdentityFactory, Person
from tests.support.waiting import eventually


def open_started(system: RunningSystem, counselor: Person, client: Person, start: date) -> str:
    response = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        json=open_path_body(client, start_date=start.isoformat()),
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["pathway_id"])


def plan_of(system: RunningSystem, client: Person) -> dict[str, Any]:
    response = httpx.get(f"{system.urls['tasks']}/me/plan", headers=client.headers, timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_weeks_open_as_events_and_a_pause_moves_the_next_one(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    client = identities.client()
    today = helsinki_today()
    start = today - timedelta(days=7)
    pathway_id = open_started(system, counselor, client, start)

    # Entered a week late: weeks 1 and 2 are open by the calendar and recorded as events.
    plan = wait_for_plan(system, client)
    assert plan["current_week"] == 2
    assert plan["weeks_recorded_open"] == 2
    assert plan["next_week_opens_on"] == (start + timedelta(days=14)).isoformat()

    enrolment = f"{system.urls['enrolment']}/pathways/{pathway_id}"
    paused = httpx.post(
        f"{enrolment}/pause",
        json={"paused_on": (today - timedelta(days=3)).isoformat()},
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
    )
    assert paused.status_code == 200, paused.text
    assert paused.json()["status"] == "paused"
    eventually(lambda: plan_of(system, client)["paused"] or None, what="the pause in the plan")
    assert plan_of(system, client)["next_week_opens_on"] is None

    resumed = httpx.post(
        f"{enrolment}/resume",
        json={"resumed_on": today.isoformat()},
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
    )
    assert resumed.status_code == 200, resumed.text
    moved = (start + timedelta(days=14 + 3)).isoformat()  # three days of pause
    eventually(
        lambda: plan_of(system, client)["next_week_opens_on"] == moved or None,
        what="the next opening moved by the pause",
    )

    # The calendar, against the tasks service's own database and store: the path is due
    # on the moved day and not before, and opening it records week 3 once.
    asyncio.run(calendar_opens_week_three(system, UUID(pathway_id), start + timedelta(days=17)))
    plan = plan_of(system, client)
    assert plan["weeks_recorded_open"] == 3 and plan["current_week"] == 3


async def calendar_opens_week_three(system: RunningSystem, pathway_id: UUID, due: date) -> None:
    pool = await create_pool(system.infrastructure.postgres.dsn_for("tasks"), max_size=2)
    try:
        store = PostgresEventStore(pool, upcast)
        assert pathway_id not in [p for p, _ in await due_pathways(pool, due - timedelta(1), 500)]
        assert pathway_id in [p for p, _ in await due_pathways(pool, due, 500)]
        policies = PlanPolicies(CommandPipeline.on_postgres(store, pool), PostgresCalendars(pool))
        context = CommandContext(
            actor=Actor(role="system", id="test-calendar"), tenant=TENANT, correlation_id=uuid4()
        )
        assert await policies.open_due(pathway_id, due, context) == 1
        assert await policies.open_due(pathway_id, due, context) == 0
        assert pathway_id not in [p for p, _ in await due_pathways(pool, due, 500)]
    finally:
        await pool.close()


def test_an_ended_path_opens_no_more_weeks(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    client = identities.client()
    start = helsinki_today() - timedelta(days=7)
    pathway_id = UUID(open_started(system, counselor, client, start))
    assert wait_for_plan(system, client)["weeks_recorded_open"] == 2
    some_later_day = start + timedelta(days=60)
    assert asyncio.run(is_due(system, pathway_id, some_later_day))
    ended = httpx.post(
        f"{system.urls['enrolment']}/pathways/{pathway_id}/discontinue",
        json={"reason": "employed"},
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
    )
    assert ended.status_code == 200, ended.text
    eventually(
        lambda: not asyncio.run(is_due(system, pathway_id, some_later_day)) or None,
        what="the calendar forgets the ended path",
    )
    # An ended path has no next week, not even one the counselor would open early (0018).
    opened_early = httpx.post(
        f"{system.urls['tasks']}/pathways/{pathway_id}/weeks/open-next",
        headers=counselor.headers,
    )
    assert opened_early.status_code == 409, opened_early.text
    assert opened_early.json()["code"] == "tasks.path_ended"
    assert not asyncio.run(is_due(system, pathway_id, some_later_day))


async def is_due(system: RunningSystem, pathway_id: UUID, day: date) -> bool:
    """Whether the calendar would open a week of the path on `day` (tasks' own table)."""
    pool = await create_pool(system.infrastructure.postgres.dsn_for("tasks"), max_size=1)
    try:
        return pathway_id in [p for p, _ in await due_pathways(pool, day, 500)]
    finally:
        await pool.close()
