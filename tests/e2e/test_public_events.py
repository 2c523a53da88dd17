"""Public events reach the tenant's topic minimised, and the example subscriber reads them."""

from __future__ import annotations

import asyncio
import contextlib
import json
from uuid import uuid4

import httpx

from contracts.public import PublicPathEvent
from deploy.system import RunningSystem
from examples.public_subscriber import Connection, follow
from tests.support.api import open_path_body, wait_for_plan
from tests.support.identities import TENANT, IdentityFactory
from tests.support.registries import register

ALLOWED_KEYS = set(PublicPathEvent.model_fields)


async def collect(bootstrap: str, cohort: str, wanted: int) -> list[PublicPathEvent]:
    """The public events of one cohort, through the example subscriber (bounded)."""
    found: list[PublicPathEvent] = []
    stop = asyncio.Event()

    async def handle(event: PublicPathEvent) -> None:
        if event.cohort == cohort:
            found.append(event)
            if len(found) >= wanted:
                stop.set()

    group = f"test-{uuid4().hex[:8]}"
    # Bounded: what has come by then is what the test judges.
    with contextlib.suppress(TimeoutError):
        # The local broker is plaintext: the example refuses that unless told so.
        local = Connection(bootstrap, protocol="PLAINTEXT", development=True)
        await asyncio.wait_for(follow(local, TENANT, handle, group, stop), timeout=45)
    return found


def test_an_opened_path_is_published_minimised_on_the_tenants_topic(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    client = identities.client()
    # A cohort of its own, so that other tests' paths stay out.
    cohort = f"julkinen-{uuid4().hex[:6]}"
    register(system, cohorts=[cohort])
    opened = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        json=open_path_body(client, cohort=cohort, first_name="Salainen"),
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
    )
    assert opened.status_code == 201, opened.text
    pathway_id, client_ref = opened.json()["pathway_id"], opened.json()["client_ref"]
    wait_for_plan(system, client)

    events = asyncio.run(collect(system.infrastructure.kafka.bootstrap_servers, cohort, 2))
    assert sorted(e.event_type for e in events) == ["path_opened", "week_opened"]
    assert {e.path_ref for e in events} == {events[0].path_ref}  # one pseudonym per path
    for event in events:
        # Codes only: the municipality by its official number, the cohort by its slug.
        assert (event.municipality, event.cohort) == ("061", cohort)
        raw = event.model_dump_json()
        assert set(json.loads(raw)) <= ALLOWED_KEYS
        for secret in (pathway_id, client_ref, str(client.identity_code), "Salainen", "Forssa"):
            assert secret not in raw

    document = httpx.get(f"{system.urls['reporting']}/asyncapi/public.json").json()
    channel = document["channels"]["publicPathEvents"]
    assert channel["address"] == "digipolku.public.{tenant}.events"
    payload = document["components"]["messages"]["PublicPathEvent"]["payload"]
    assert set(payload["properties"]) == ALLOWED_KEYS

    # They came through reporting's outbox, whose relay readiness shows (decision 0030).
    ready = httpx.get(f"{system.urls['reporting']}/readyz", timeout=10).json()
    outbox_relay = ready["details"]["outbox_relay"]
    assert outbox_relay["role"] == "leader" and outbox_relay["published"] >= 2, outbox_relay
