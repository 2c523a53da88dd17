"""What the simulated paths name, registered before the first one opens: the spec's unit and
cohorts in the tenant's registries and its counselors in the staff directory, through
enrolment's admin API (as the tenant's admin would before the first cohort starts).
"""

from __future__ import annotations

import httpx

from simulator.driver import TENANT, Endpoints
from simulator.population import PopulationSpec

ADMIN = "simulator-admin"


async def register_references(
    http: httpx.AsyncClient, endpoints: Endpoints, spec: PopulationSpec
) -> None:
    token = await http.post(
        f"{endpoints.issuer}/dev/token",
        json={"tenant": TENANT, "subject": ADMIN, "role": "admin"},
    )
    token.raise_for_status()
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    entries = [("units", spec.unit, spec.unit_name)] + [
        ("cohorts", cohort.label, f"Ryhmä {cohort.label}") for cohort in spec.cohorts()
    ]
    for kind, code, name in entries:
        added = await http.post(
            f"{endpoints.enrolment}/registry/{kind}",
            json={"code": code, "name_fi": name},
            headers=headers,
        )
        if added.status_code not in (201, 409):  # 409: a run before this one added it
            added.raise_for_status()
    for counselor in sorted({counselor for _, counselor in spec.municipalities}):
        put = await http.put(
            f"{endpoints.enrolment}/staff/{counselor}",
            json={"role": "counselor"},
            headers=headers,
        )
        put.raise_for_status()
