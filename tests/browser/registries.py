"""The tenant's units and cohorts that the counselor's opening form offers (enrolment's
registries, kept by the tenant's admin), made for a browser test through the admin API."""

from __future__ import annotations

import httpx

from deploy.system import RunningSystem
from tests.support.identities import IdentityFactory

UNIT = ("forssa-ktt", "Kuntouttava työtoiminta Forssa")
COHORT = ("2026-syksy", "Syksy 2026")


def offer_unit_and_cohort(system: RunningSystem, identities: IdentityFactory) -> None:
    """Make sure the demo tenant has the unit and the cohort (already there is fine)."""
    admin = identities.staff("admin")
    for kind, (code, name) in (("units", UNIT), ("cohorts", COHORT)):
        response = httpx.post(
            f"{system.urls['enrolment']}/registry/{kind}",
            json={"code": code, "name_fi": name},
            headers=admin.headers,
            timeout=10,
        )
        assert response.status_code in (201, 409), response.text
