"""Who may see a path's guidance: its own client, its counselors and the tenant's admins; and
what guidance knows of the path's course (its start, end and curriculum).

Read from the caseload, which learns them from enrolment's and tasks' events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import asyncpg

from chassis.auth import Principal
from chassis.errors import NotFound
from services.guidance.domain.outcomes import PathSpan


@dataclass(frozen=True)
class PathAccess:
    pathway_id: UUID
    tenant: str
    client_ref: str | None
    counselor_ids: tuple[str, ...]
    start_date: date | None = None
    ended_on: date | None = None
    # From tasks' PlanStarted; None until it has reached guidance.
    curriculum_version: str | None = None

    @property
    def span(self) -> PathSpan:
        return PathSpan(self.client_ref, self.start_date, self.ended_on)

    def is_guided_by(self, principal: Principal) -> bool:
        """An assigned counselor, or an admin, of the path's tenant."""
        if principal.tenant != self.tenant:
            return False
        if principal.role == "counselor":
            return principal.subject in self.counselor_ids
        return principal.role == "admin"

    def belongs_to(self, principal: Principal) -> bool:
        """The path's own client."""
        return (
            principal.role == "client"
            and principal.tenant == self.tenant
            and self.client_ref is not None
            and principal.client_ref == self.client_ref
        )


def check_access(
    access: PathAccess | None, principal: Principal, *, staff_only: bool
) -> PathAccess:
    """The path's access, if the caller may act on it; otherwise as if it did not exist."""
    allowed = access is not None and (
        access.is_guided_by(principal) or (not staff_only and access.belongs_to(principal))
    )
    if access is None or not allowed:
        raise NotFound("error.not_found")
    return access


class PostgresPaths:
    """The paths as the caseload knows them."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def find(self, pathway_id: UUID) -> PathAccess | None:
        row = await self._pool.fetchrow(
            "SELECT pathway_id, tenant, client_ref, counselor_ids, start_date, ended_on,"
            " curriculum_version FROM caseload WHERE pathway_id = $1",
            pathway_id,
        )
        if row is None:
            return None
        return PathAccess(
            row["pathway_id"],
            row["tenant"],
            row["client_ref"],
            tuple(row["counselor_ids"]),
            row["start_date"],
            row["ended_on"],
            row["curriculum_version"],
        )
