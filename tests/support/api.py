"""Small HTTP helpers for the cross-service tests: the services' public APIs only."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import httpx

from deploy.system import RunningSystem
from tests.support.identities import Person
from tests.support.registries import COHORT, MUNICIPALITY, UNIT, register_standard
from tests.support.waiting import eventually

ALL_CONFIRMED = {
    "life_management": True,
    "digital_skills": True,
    "self_assessment_ability": True,
    "strong_identification": True,
}


def open_path_body(client: Person, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "first_name": "Testi",
        "last_name": f"Asiakas {client.subject}",
        "personal_identity_code": client.identity_code,
        "municipality": MUNICIPALITY,
        "unit": UNIT,
        "cohort": COHORT,
        "start_date": date.today().isoformat(),
        "suitability": ALL_CONFIRMED,
    }
    body.update(overrides)
    return body


def open_path(
    system: RunningSystem, counselor: Person, client: Person, headers: dict[str, str] | None = None
) -> str:
    register_standard(system)
    response = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        json=open_path_body(client),
        headers={**counselor.headers, "Idempotency-Key": str(uuid4()), **(headers or {})},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["pathway_id"])


def wait_for_plan(system: RunningSystem, client: Person) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        response = httpx.get(f"{system.urls['tasks']}/me/plan", headers=client.headers, timeout=10)
        return response.json() if response.status_code == 200 else None

    return eventually(probe, what="the client's plan")


def erase_client(system: RunningSystem, admin: Person, client_ref: str) -> None:
    """An admin erases the client (the reason a code from the fixed list); it must be taken."""
    erased = httpx.post(
        f"{system.urls['enrolment']}/clients/{client_ref}/erasure",
        json={"reason": "client_request"},
        headers={**admin.headers, "Idempotency-Key": str(uuid4())},
        timeout=10,
    )
    assert erased.status_code in (200, 201, 202), erased.text
