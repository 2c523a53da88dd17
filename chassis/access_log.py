"""Every read of a client's data by staff is written down: who, whose, what, when and why.

Social-welfare client data may be read only within a care relationship, and the client has a
right to know who looked. Each service keeps its own append-only `access_log` and serves it to
the tenant's admins. The service's own database role may only add entries (the migration role
owns the table), and the database hash-chains every entry (`chassis.access_log_chain`
verifies it); decision 0024.

A read is logged when a person is shown (decision 0024): every time for a client's own
records, once per reader and list within `LIST_READ_WINDOW` for a row of a list, so that a
list refreshing itself does not log everyone on it again and again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
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
# A list shown again within this time shows nobody new (its rows were logged when first
# shown): a working session's worth, like the pages' absolute session lifetime.
LIST_READ_WINDOW = timedelta(hours=4)
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


async def record_list_read(
    connection: DbConnection | asyncpg.Pool,
    principal: Principal,
    rows: Sequence[tuple[str, UUID | None]],
    what: str,
    why: str = CARE_RELATIONSHIP,
) -> None:
    """Log the rows of a list shown to staff, each (client_ref, pathway_id) once per reader
    and list within LIST_READ_WINDOW: a refresh, a reconnect or a new sort order logs only
    the people who were not on the list before."""
    if not principal.is_staff or not rows:
        return
    await connection.execute(
        "INSERT INTO access_log (tenant, reader, reader_role, client_ref, pathway_id, what, why,"
        " correlation_id)"
        " SELECT $1, $2, $3, shown.client_ref, shown.pathway_id, $4, $5, $6"
        " FROM unnest($7::text[], $8::uuid[]) WITH ORDINALITY"
        "  AS shown(client_ref, pathway_id, n)"
        " WHERE NOT EXISTS (SELECT 1 FROM access_log logged"
        "  WHERE logged.tenant = $1 AND logged.client_ref = shown.client_ref"
        "  AND logged.reader = $2 AND logged.what = $4"
        "  AND logged.pathway_id IS NOT DISTINCT FROM shown.pathway_id"
        "  AND logged.read_at > now() - $9::interval)"
        " ORDER BY shown.n",
        principal.tenant,
        principal.subject,
        principal.role,
        what,
        why,
        current_correlation_id(),
        [client_ref for client_ref, _ in rows],
        [pathway_id for _, pathway_id in rows],
        LIST_READ_WINDOW,
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
