"""What leaves the platform (decision 0032), read through the example subscriber: each month's
statistics are the dashboard's own figures; a tenant's path events carry only the week, and
an erasure is their last word."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import asyncpg
import httpx

from contracts.public import MonthlyStatistics, TenantPathEvent
from deploy.system import RunningSystem
from examples.public_subscriber import Connection, follow_path_events, follow_statistics
from services.reporting.domain.tenant_events import path_ref
from services.reporting.settings import ReportingSettings
from tests.support.api import erase_client, open_path_body, wait_for_plan
from tests.support.identities import TENANT, IdentityFactory, Person
from tests.support.registries import register
from tests.support.waiting import eventually

TENANT_EVENT_KEYS = set(TenantPathEvent.model_fields)


def _connection(system: RunningSystem) -> Connection:
    # The local broker is plaintext: the example refuses that unless told so.
    return Connection(
        system.infrastructure.kafka.bootstrap_servers, protocol="PLAINTEXT", development=True
    )


async def _until(
    follow: Callable[[asyncio.Event], Coroutine[Any, Any, None]],
    done: Callable[[], Awaitable[bool]],
    within: float = 60,
) -> bool:
    """Runs a follower until `done` (checked every half second), for `within` s at most."""
    stop = asyncio.Event()
    following = asyncio.create_task(follow(stop))
    deadline = asyncio.get_running_loop().time() + within
    try:
        while asyncio.get_running_loop().time() < deadline:
            if await done():
                return True
            await asyncio.sleep(0.5)
        return False
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(following, timeout=10)


def _open(system: RunningSystem, counselor: Person, client: Person, cohort: str) -> dict[str, Any]:
    opened = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        json=open_path_body(client, cohort=cohort, first_name="Salainen"),
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
    )
    assert opened.status_code == 201, opened.text
    body: dict[str, Any] = opened.json()
    return body


def test_a_tenants_systems_get_the_week_and_nothing_else_and_erasure_is_the_last_word(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    client = identities.client()
    cohort = f"julkinen-{uuid4().hex[:6]}"
    register(system, cohorts=[cohort])
    opened = _open(system, counselor, client, cohort)
    pathway_id, client_ref = opened["pathway_id"], opened["client_ref"]
    wait_for_plan(system, client)
    ref = path_ref(
        ReportingSettings(environment="development").public_ref(), TENANT, UUID(pathway_id)
    )
    found: list[TenantPathEvent] = []

    async def handle(event: TenantPathEvent) -> None:
        if event.path_ref == ref:
            found.append(event)

    def follow(stop: asyncio.Event) -> Coroutine[Any, Any, None]:
        group = f"{TENANT}.test-{uuid4().hex[:8]}"
        return follow_path_events(_connection(system), TENANT, handle, group, stop)

    async def has(event_type: str) -> bool:
        return any(event.event_type == event_type for event in found)

    assert asyncio.run(_until(follow, lambda: has("week_opened"))), found
    [week] = found
    assert (week.week, week.tenant) == (1, TENANT)
    raw = week.model_dump_json()
    assert set(json.loads(raw)) <= TENANT_EVENT_KEYS
    for secret in (pathway_id, client_ref, str(client.identity_code), "Salainen", cohort, "061"):
        assert secret not in raw
    # Not the unkeyed id the per-path public events had (decision 0012): nobody holding the
    # internal events can join them.
    assert week.event_id not in {uuid5(NAMESPACE_URL, f"digipolku-public:{pathway_id}")}

    admin = identities.staff("admin")
    erase_client(system, admin, client_ref)
    found.clear()
    assert asyncio.run(_until(follow, lambda: has("path_forgotten"))), found
    forgotten = found[-1]
    assert (forgotten.week, forgotten.on) == (None, None)

    async def kept_in_outbox() -> list[str]:
        connection = await asyncpg.connect(system.infrastructure.postgres.dsn_for("reporting"))
        try:
            rows = await connection.fetch(
                "SELECT value FROM outbox WHERE message_key = $1", ref.encode()
            )
        finally:
            await connection.close()
        return [json.loads(row["value"])["event_type"] for row in rows]

    # A republishing (the broker forgot the topic) sends the path's forgetting and nothing
    # of what came before it.
    assert asyncio.run(kept_in_outbox()) == ["path_forgotten"]


def test_every_areas_monthly_statistics_are_the_dashboards_figures(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    manager = identities.staff("manager")
    cohort = f"tilasto-{uuid4().hex[:6]}"
    register(system, cohorts=[cohort])
    for _ in range(3):
        _open(system, counselor, identities.client(), cohort)
    latest: dict[str, MonthlyStatistics] = {}

    async def handle(statistics: MonthlyStatistics) -> None:
        latest[statistics.month] = statistics

    def follow(stop: asyncio.Event) -> Coroutine[Any, Any, None]:
        group = f"{TENANT}.test-{uuid4().hex[:8]}"
        return follow_statistics(_connection(system), [TENANT], handle, group, stop)

    differences: list[str] = []

    async def equal_to_the_dashboard() -> bool:
        if not latest:
            return False
        differences.clear()
        async with httpx.AsyncClient(headers=manager.headers, timeout=10) as http:
            for month, statistics in sorted(latest.items()):
                answer = await http.get(
                    f"{system.urls['reporting']}/figures", params={"period": month}
                )
                assert answer.status_code == 200, answer.text
                differences.extend(_differences(month, statistics, answer.json()))
        return not differences

    assert asyncio.run(_until(follow, equal_to_the_dashboard, within=90)), differences
    assert sum(_value(s.steps.opened) for s in latest.values()) >= 1
    months = sorted(latest)
    # Every month from the first through this one, empty ones included (a month left out
    # would tell that nobody was opened in it).
    assert len(months) == len(set(months))
    assert all(statistics.revision >= 1 for statistics in latest.values())

    document = httpx.get(f"{system.urls['reporting']}/asyncapi/public.json").json()
    channels = document["channels"]
    assert channels["monthlyStatistics"]["address"] == "digipolku.public.{tenant}.statistics"
    assert channels["tenantPathEvents"]["address"] == "digipolku.tenant.{tenant}.paths"
    payload = document["components"]["messages"]["TenantPathEvent"]["payload"]
    assert set(payload["properties"]) == TENANT_EVENT_KEYS

    # They came through reporting's outbox, whose relay readiness shows (decision 0030), and
    # reporting's consumer has caught up with its topics (issue 15's lag, in events).
    def caught_up() -> dict[str, Any] | None:
        ready: dict[str, Any] = httpx.get(f"{system.urls['reporting']}/readyz", timeout=10).json()
        return ready if ready["details"]["consumer_lag"]["events_behind"] == 0 else None

    ready = eventually(caught_up, what="reporting's consumer caught up")
    assert ready["details"]["outbox_relay"]["role"] == "leader", ready["details"]
    assert ready["details"]["consumer_lag"]["seconds_behind"] == 0


def _value(figure: Any) -> float:
    return float(figure.value or 0)


def _differences(month: str, statistics: MonthlyStatistics, figures: dict[str, Any]) -> list[str]:
    """Where the month's statistics and the dashboard's figures of the month differ."""
    published = statistics.model_dump()
    pairs = {
        "opened": (published["steps"]["opened"], figures["funnel"]["opened"]),
        "reached week 5": (
            published["steps"]["reached_week_5"],
            figures["funnel"]["reached_week_5"],
        ),
        "active": (published["status"]["active"], figures["status"]["active"]),
        "discontinued": (published["status"]["discontinued"], figures["status"]["discontinued"]),
        "work": (published["directions"]["work"], figures["direction"]["work"]),
        "on time": (published["on_time_share"], figures["adherence"]["overall"]["on_time_share"]),
        "employed at the end": (
            published["outcomes"]["end"]["shares"]["employed"],
            figures["outcomes"]["end"]["shares"]["employed"],
        ),
        "6m followed up": (
            published["outcomes"]["6m"]["followed_up"],
            figures["outcomes"]["6m"]["followed_up"],
        ),
    }
    return [
        f"{month} {name}: published {ours}, dashboard {theirs}"
        for name, (ours, theirs) in pairs.items()
        if ours != theirs
    ]
