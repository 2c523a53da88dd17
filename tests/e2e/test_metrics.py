"""Every service's /metrics against the running system: a command is counted under its route
template, the relay's backlog and the projections' lag come back to 0 once the command's event
has gone through, and readiness reports the relay and each projection (decision 0040)."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from deploy.system import SERVICES, RunningSystem
from tests.support.api import open_path
from tests.support.identities import TENANT, IdentityFactory
from tests.support.waiting import eventually

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(system: RunningSystem, service: str) -> Samples:
    response = httpx.get(f"{system.urls[service]}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_serves_its_metrics_outside_its_api_document(
    system: RunningSystem, service: str
) -> None:
    httpx.get(f"{system.urls[service]}/readyz", timeout=10)
    samples = scrape(system, service)
    assert value(samples, "digipolku_ready", service=service, check="database") == 1
    assert value(samples, "digipolku_ready", service=service, check="broker") == 1
    names = {name for name, _ in samples}
    assert "digipolku_http_requests_total" in names
    document = httpx.get(f"{system.urls[service]}/openapi.json", timeout=10).json()
    assert "/metrics" not in document["paths"]


def test_a_command_is_counted_and_its_event_goes_through_to_lag_zero(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor, client = identities.staff("counselor"), identities.client()
    created = {"service": "enrolment", "method": "POST", "route": "/pathways", "status": "201"}
    before = value(scrape(system, "enrolment"), "digipolku_http_requests_total", **created) or 0
    pathway_id = open_path(system, counselor, client)

    def in_caseload() -> bool:
        rows = httpx.get(
            f"{system.urls['guidance']}/caseload", headers=counselor.headers, timeout=10
        ).json()
        return any(row["pathway_id"] == pathway_id for row in rows)

    # Guidance has handled the command's event: its lag is measured after it.
    eventually(in_caseload, what="the path in guidance's caseload")
    after = scrape(system, "enrolment")
    assert value(after, "digipolku_http_requests_total", **created) == before + 1
    assert not any(pathway_id in dict(labels).get("route", "") for _, labels in after), (
        "a raw id became a label"
    )

    def published() -> Samples | None:
        samples = scrape(system, "enrolment")
        backlog = value(
            samples, "digipolku_relay_backlog_events", service="enrolment", relay="enrolment"
        )
        return samples if backlog == 0 else None

    samples = eventually(published, what="enrolment's relay backlog at 0")
    assert (
        value(samples, "digipolku_relay_backlog_seconds", service="enrolment", relay="enrolment")
        == 0
    )

    def caught_up() -> Samples | None:
        samples = scrape(system, "guidance")
        lags = [
            value(
                samples,
                f"digipolku_projection_lag_{unit}",
                service="guidance",
                projection=projection,
                tenant=tenant,
            )
            for unit in ("events", "seconds")
            for projection in ("caseload", "answers_seen")
            for tenant in ("all", TENANT)
        ]
        return samples if lags == [0] * len(lags) else None

    eventually(caught_up, what="guidance's projections caught up, in all and for the tenant")
    # FastStream's own middleware counts what the consumer received.
    received = [
        count
        for (name, _), count in scrape(system, "guidance").items()
        if name == "faststream_received_messages_total"
    ]
    assert sum(received) > 0
    ready = httpx.get(f"{system.urls['guidance']}/readyz", timeout=10).json()
    lag = ready["details"]["consumer_lag"]
    assert lag["projections"]["caseload"] == {"events_behind": 0, "seconds_behind": 0.0}, lag
    relay = ready["details"]["relay"]
    assert relay["role"] in ("leader", "standby") and relay["backlog_events"] == 0, relay
    assert (
        value(scrape(system, "guidance"), "digipolku_ready", service="guidance", check="consumer")
        == 1
    )
