"""Staff reads of a client's data leave a trace that an admin of the tenant can list."""

from __future__ import annotations

import httpx

from deploy.system import RunningSystem
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory


def test_a_counselors_read_of_answers_is_listed_for_the_admin_only(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    admin = identities.staff("admin")
    client = identities.client()
    tasks = system.urls["tasks"]
    pathway_id = open_path(system, counselor, client)
    wait_for_plan(system, client)
    path = httpx.get(f"{system.urls['enrolment']}/pathways/{pathway_id}", headers=counselor.headers)
    client_ref = str(path.json()["client_ref"])

    # The client reading their own plan is not logged; the counselor's two reads are.
    assert httpx.get(f"{tasks}/pathways/{pathway_id}/plan", headers=client.headers).is_success
    assert httpx.get(f"{tasks}/pathways/{pathway_id}/plan", headers=counselor.headers).is_success
    assert httpx.get(f"{tasks}/pathways/{pathway_id}/answers", headers=counselor.headers).is_success

    log = httpx.get(f"{tasks}/access-log", params={"client_ref": client_ref}, headers=admin.headers)
    assert log.status_code == 200, log.text
    entries = [(e["reader"], e["what"], e["why"]) for e in log.json()["items"]]
    assert entries == [
        (counselor.subject, "plan", "care_relationship"),
        (counselor.subject, "answers", "care_relationship"),
    ]
    assert all(e["pathway_id"] == pathway_id for e in log.json()["items"])

    refused = httpx.get(
        f"{tasks}/access-log", params={"client_ref": client_ref}, headers=counselor.headers
    )
    assert refused.status_code == 403
    other_tenant = identities.staff("admin", tenant="pirkanmaa")
    elsewhere = httpx.get(
        f"{tasks}/access-log", params={"client_ref": client_ref}, headers=other_tenant.headers
    )
    assert elsewhere.status_code == 200 and elsewhere.json()["items"] == []
