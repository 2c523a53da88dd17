"""Who may see which plan: the client it belongs to and the path's counselors."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from chassis.auth import Principal
from chassis.event_store import DbConnection


@dataclass(frozen=True)
class PlanAccess:
    pathway_id: UUID
    tenant: str
    client_ref: str
    counselor_ids: tuple[str, ...]

    def allows(self, principal: Principal) -> bool:
        if principal.tenant != self.tenant:
            return False
        if principal.role == "client":
            return principal.client_ref == self.client_ref
        if principal.role == "counselor":
            return principal.subject in self.counselor_ids
        return principal.role == "admin"


async def find_access(pool: asyncpg.Pool, pathway_id: UUID) -> PlanAccess | None:
    row = await pool.fetchrow(
        "SELECT pathway_id, tenant, client_ref, counselor_ids FROM plan_access"
        " WHERE pathway_id = $1",
        pathway_id,
    )
    if row is None:
        return None
    return PlanAccess(
        row["pathway_id"], row["tenant"], row["client_ref"], tuple(row["counselor_ids"])
    )


async def find_client_plan(pool: asyncpg.Pool, tenant: str, client_ref: str) -> UUID | None:
    """The client's latest plan (a client has at most one open path)."""
    value = await pool.fetchval(
        "SELECT pathway_id FROM plan_access WHERE tenant = $1 AND client_ref = $2"
        " ORDER BY pathway_id DESC LIMIT 1",
        tenant,
        client_ref,
    )
    return value if isinstance(value, UUID) else None


async def record_access(
    connection: DbConnection,
    pathway_id: UUID,
    tenant: str,
    client_ref: str,
    counselor_ids: list[str],
) -> None:
    await connection.execute(
        "INSERT INTO plan_access (pathway_id, tenant, client_ref, counselor_ids)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (pathway_id) DO NOTHING",
        pathway_id,
        tenant,
        client_ref,
        counselor_ids,
    )
