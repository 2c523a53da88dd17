"""Checks the open-path and assign-counselor commands make before the aggregate decides:
every reference a path carries must be in the tenant's registries.

Municipalities come from the official register (`contracts.reference`), units, cohorts and
staff from enrolment's own tables; each unknown value is refused with a 422 naming its field.
"""

from __future__ import annotations

from collections.abc import Iterable

from chassis.auth import Principal
from contracts.reference.municipalities import register
from services.enrolment.adapters.registry_records import (
    Database,
    find_entry,
    find_staff,
    record_seen,
)
from services.enrolment.domain import registry
from services.enrolment.domain.registry import UnknownReference


def check_municipality(tenant: str, municipality: str) -> None:
    """Only the tenant's own municipalities (a wellbeing area serves its own)."""
    if not register().belongs_to(municipality, tenant):
        raise UnknownReference("municipality", municipality)


async def check_counselor(db: Database, tenant: str, counselor_id: str) -> None:
    """A counselor of a path is a known, active staff member of the tenant, a counselor."""
    registry.check_counselor(counselor_id, await find_staff(db, tenant, counselor_id))


async def check_opening(
    db: Database,
    tenant: str,
    municipality: str,
    unit: str,
    cohort: str,
    counselor_ids: Iterable[str],
) -> None:
    """Everything a new path names, checked in the order the form asks for it."""
    check_municipality(tenant, municipality)
    registry.check_entry("unit", "unit", unit, await find_entry(db, "unit", tenant, unit))
    registry.check_entry("cohort", "cohort", cohort, await find_entry(db, "cohort", tenant, cohort))
    for counselor_id in counselor_ids:
        await check_counselor(db, tenant, counselor_id)


async def remember_staff(db: Database, principal: Principal) -> None:
    """Record a counselor or admin the first time they call enrolment with a valid token."""
    if principal.role in ("counselor", "admin"):
        await record_seen(db, principal.tenant, principal.subject, principal.role)
