"""Every read of a client's data by staff is written down: who, whose, what, when and why.

Social-welfare client data may be read only within a care relationship, and the client has a
right to know who looked. Each service keeps its own append-only `access_log` (a trigger
refuses UPDATE, DELETE and TRUNCATE) and serves it to the tenant's admins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from chassis.auth import Principal
from chassis.clean_text import CleanText
from chassis.event_store import DbConnection
from chassis.http_auth import require_role
from chassis.logs import current_correlation_id

# The reason staff may read: the only one Digipolku has.
CARE_RELATIONSHIP = "care_relationship"
Admin = Annotated[Principal, Depends(require_role("admin"))]


async def record_read(
    connection: DbConnection | asyncpg.Pool,
    principal: Principal,
    client_ref: str,
    what: str,
    pathway_id: UUID | None = None,
    why: str = CARE_RELATIONSHIP,
) -> None:
    """Log a staff member's read of one client's data; a client reading their own is not."""
    if not principal.is_staff:
        return
    await connection.execute(
        "INSERT INTO access_log (tenant, reader, reader_role, client_ref, pathway_id, what, why,"
        " correlation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        principal.tenant,
        principal.subject,
        principal.role,
        client_ref,
        pathway_id,
        what,
        why,
        current_correlation_id(),  # the request's, bound by the HTTP middleware
    )


class AccessLogEntry(BaseModel):
    read_at: datetime
    reader: str
    reader_role: str
    client_ref: str
    pathway_id: UUID | None
    what: str
    why: str


class AccessLog(BaseModel):
    items: list[AccessLogEntry]


def access_log_router() -> APIRouter:
    router = APIRouter(tags=["access log"])

    @router.get("/access-log", summary="Who read a client's data here (admins of the tenant)")
    async def list_reads(
        request: Request,
        principal: Admin,
        client_ref: Annotated[str, CleanText(200, min_length=1, single_line=True), Query()],
    ) -> AccessLog:
        # The service's runtime (chassis.service imports this module, so not runtime_of).
        pool: asyncpg.Pool = request.app.state.runtime.require_pool()
        rows = await pool.fetch(
            "SELECT read_at, reader, reader_role, client_ref, pathway_id, what, why"
            " FROM access_log WHERE tenant = $1 AND client_ref = $2 ORDER BY entry_id",
            principal.tenant,
            client_ref,
        )
        return AccessLog(items=[AccessLogEntry(**dict(row)) for row in rows])

    return router
