"""Who may see a path's guidance: its own client, its counselors and the tenant's admins.

Read from the caseload, which learns the client and the counselors from enrolment's events.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from chassis.auth import Principal
from chassis.errors import NotFound


@dataclass(frozen=True)
class PathAccess:
    pathway_id: UUID
    tenant: str
    client_ref: str | None
    counselor_ids: tuple[str, ...]

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


async def find_access(pool: asyncpg.Pool, pathway_id: UUID) -> PathAccess | None:
    row = await pool.fetchrow(
        "SELECT pathway_id, tenant, client_ref, counselor_ids FROM caseload WHERE pathway_id = $1",
        pathway_id,
    )
    if row is None:
        return None
    return PathAccess(
        row["pathway_id"], row["tenant"], row["client_ref"], tuple(row["counselor_ids"])
    )


async def require_access(
    pool: asyncpg.Pool, pathway_id: UUID, principal: Principal, *, staff_only: bool
) -> PathAccess:
    """The path's access, if the caller may act on it; otherwise as if it did not exist."""
    access = await find_access(pool, pathway_id)
    allowed = access is not None and (
        access.is_guided_by(principal) or (not staff_only and access.belongs_to(principal))
    )
    if access is None or not allowed:
        raise NotFound("error.not_found")
    return access
