"""Registering what a path names, through enrolment's admin API, before a test opens it.

Paths name a municipality by its official code and a unit, a cohort and counselors from the
tenant's registries; a test that opens paths registers those first (idempotently: a code
another test already added is fine).
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from deploy.system import RunningSystem
from tests.support.identities import TENANT, IdentityFactory

# Forssa, a municipality of Kanta-Häme, by its Statistics Finland code.
MUNICIPALITY = "061"
UNIT = "forssa-ktt"
COHORT = "2026-syksy"
STANDARD_UNITS = {UNIT: "Kuntouttava työtoiminta Forssa", "tammela-ktt": "Työtoiminta Tammela"}
STANDARD_COHORTS = {COHORT: "Syksy 2026", "2026-kevat": "Kevät 2026"}

_done: set[tuple[str, str, str, str]] = set()


def _admin_headers(system: RunningSystem, tenant: str) -> dict[str, str]:
    admin = IdentityFactory(system.issuer_url).staff(
        "admin", tenant=tenant, subject=f"registry-admin-{tenant}"
    )
    return admin.headers


def register(
    system: RunningSystem,
    *,
    tenant: str = TENANT,
    units: Iterable[str] = (),
    cohorts: Iterable[str] = (),
    counselors: Iterable[str] = (),
) -> None:
    """Make these codes known to the tenant (names default to the code)."""
    wanted = [
        *(("units", code) for code in units),
        *(("cohorts", code) for code in cohorts),
        *(("staff", subject) for subject in counselors),
    ]
    todo = [
        (kind, code)
        for kind, code in wanted
        if (system.urls["enrolment"], tenant, kind, code) not in _done
    ]
    if not todo:
        return
    base = system.urls["enrolment"]
    headers = _admin_headers(system, tenant)
    names = {**STANDARD_UNITS, **STANDARD_COHORTS}
    for kind, code in todo:
        if kind == "staff":
            response = httpx.put(
                f"{base}/staff/{code}", json={"role": "counselor"}, headers=headers, timeout=10
            )
            assert response.status_code == 200, response.text
        else:
            response = httpx.post(
                f"{base}/registry/{kind}",
                json={"code": code, "name_fi": names.get(code, code)},
                headers=headers,
                timeout=10,
            )
            assert response.status_code in (201, 409), response.text
        _done.add((base, tenant, kind, code))


def register_standard(system: RunningSystem, tenant: str = TENANT) -> None:
    """The units and cohorts `open_path_body` names by default."""
    register(system, tenant=tenant, units=STANDARD_UNITS, cohorts=STANDARD_COHORTS)
