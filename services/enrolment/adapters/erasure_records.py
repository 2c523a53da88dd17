"""`client_erasures`: who ordered a client's erasure, when, why, and which paths it covered.

The record of the decision itself (an admin's accountability), kept after the identity is
gone. It names the client only by client_ref.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from chassis.event_store import DbConnection


@dataclass(frozen=True)
class ErasureRecord:
    client_ref: str
    erased_at: datetime
    pathway_ids: list[UUID]


async def record_erasure(
    connection: DbConnection,
    tenant: str,
    record: ErasureRecord,
    erased_by: str,
    reason: str,
) -> None:
    await connection.execute(
        "INSERT INTO client_erasures (tenant, client_ref, erased_at, erased_by, reason,"
        " pathway_ids) VALUES ($1, $2, $3, $4, $5, $6)",
        tenant,
        record.client_ref,
        record.erased_at,
        erased_by,
        reason,
        record.pathway_ids,
    )


async def latest_erasure(pool: asyncpg.Pool, tenant: str, client_ref: str) -> ErasureRecord | None:
    row = await pool.fetchrow(
        "SELECT client_ref, erased_at, pathway_ids FROM client_erasures"
        " WHERE tenant = $1 AND client_ref = $2 ORDER BY erasure_id DESC LIMIT 1",
        tenant,
        client_ref,
    )
    if row is None:
        return None
    return ErasureRecord(row["client_ref"], row["erased_at"], list(row["pathway_ids"]))
