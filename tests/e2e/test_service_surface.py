"""Every service answers health and readiness, serves OpenAPI and its AsyncAPI document."""

from __future__ import annotations

import httpx
import pytest

from contracts.topics import ENROLMENT_EVENTS, GUIDANCE_EVENTS, TASKS_EVENTS
from deploy.system import SERVICES, RunningSystem

CONSUMES = {
    "enrolment": [],
    "tasks": [ENROLMENT_EVENTS, GUIDANCE_EVENTS],
    "guidance": [ENROLMENT_EVENTS, TASKS_EVENTS],
    "reporting": [ENROLMENT_EVENTS, TASKS_EVENTS],
}
PUBLISHES = {
    "enrolment": [ENROLMENT_EVENTS],
    "tasks": [TASKS_EVENTS],
    "guidance": [GUIDANCE_EVENTS],
    "reporting": [],
}


@pytest.mark.parametrize("service", SERVICES)
def test_health_readiness_and_docs(system: RunningSystem, service: str) -> None:
    base = system.urls[service]
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{base}/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    assert httpx.get(f"{base}/docs").status_code == 200
    assert "/healthz" in httpx.get(f"{base}/openapi.json").json()["paths"]


@pytest.mark.parametrize("service", SERVICES)
def test_asyncapi_documents_the_topics(system: RunningSystem, service: str) -> None:
    document = httpx.get(f"{system.urls[service]}/asyncapi.json").json()
    assert document["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in document["channels"].values()}
    for topic in CONSUMES[service] + PUBLISHES[service]:
        assert topic in addresses, f"{service} does not document {topic}"
    if PUBLISHES[service]:
        schemas = document["components"]["schemas"]
        assert any("EventEnvelope" in name for name in schemas), list(schemas)
