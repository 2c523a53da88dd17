"""`pathway_list`: one row per path, the state the counselor's list shows.

Written in the transaction of every append, from the folded aggregate, so it is never behind
the events. It holds no name: names stay in the vault and are joined in when read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import asyncpg

from chassis.event_store import DbConnection
from services.enrolment.domain.pathway import Pathway, Status


@dataclass(frozen=True)
class PathwayRow:
    pathway_id: UUID
    client_ref: str
    status: Status
    start_date: date | None
    municipality: str
    unit: str
    cohort: str
    counselor_ids: list[str]
    erased: bool


async def save_row(connection: DbConnection, pathway: Pathway) -> None:
    """Store the path's current state; an older version never overwrites a newer one."""
    await connection.execute(
        """
        INSERT INTO pathway_list (pathway_id, tenant, client_ref, status, start_date,
                                  municipality, unit, cohort, counselor_ids, erased, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (pathway_id) DO UPDATE SET
            status = EXCLUDED.status, counselor_ids = EXCLUDED.counselor_ids,
            erased = EXCLUDED.erased, version = EXCLUDED.version
        WHERE pathway_list.version < EXCLUDED.version
        """,
        pathway.pathway_id,
        pathway.tenant,
        pathway.client_ref,
        pathway.status,
        pathway.start_date,
        pathway.municipality,
        pathway.unit,
        pathway.cohort,
        pathway.counselor_ids,
        pathway.erased,
        pathway.version,
    )


async def list_rows(
    pool: asyncpg.Pool,
    tenant: str,
    *,
    counselor_id: str | None,
    status: Status | None,
    after: UUID | None,
    limit: int,
) -> list[PathwayRow]:
    """Paths of the tenant in opening order (pathway ids are time-ordered), one page."""
    rows = await pool.fetch(
        """
        SELECT pathway_id, client_ref, status, start_date, municipality, unit, cohort,
               counselor_ids, erased
        FROM pathway_list
        WHERE tenant = $1
          AND ($2::text IS NULL OR counselor_ids @> ARRAY[$2::text])
          AND ($3::text IS NULL OR status = $3)
          AND ($4::uuid IS NULL OR pathway_id > $4)
        ORDER BY pathway_id
        LIMIT $5
        """,
        tenant,
        counselor_id,
        status,
        after,
        limit,
    )
    return [
        PathwayRow(
            pathway_id=row["pathway_id"],
            client_ref=row["client_ref"],
            status=row["status"],
            start_date=row["start_date"],
            municipality=row["municipality"],
            unit=row["unit"],
            cohort=row["cohort"],
            counselor_ids=list(row["counselor_ids"]),
            erased=row["erased"],
        )
        for row in rows
    ]


async def pathways_of_client(
    reader: DbConnection | asyncpg.Pool, tenant: str, client_ref: str
) -> list[UUID]:
    rows = await reader.fetch(
        "SELECT pathway_id FROM pathway_list WHERE tenant = $1 AND client_ref = $2"
        " ORDER BY pathway_id",
        tenant,
        client_ref,
    )
    return [row["pathway_id"] for row in rows]


async def streams_without_row(pool: asyncpg.Pool) -> list[UUID]:
    """Paths opened before this table existed (their first event has no row yet)."""
    rows = await pool.fetch(
        "SELECT e.stream_id FROM events e WHERE e.stream_version = 1"
        " AND NOT EXISTS (SELECT 1 FROM pathway_list p WHERE p.pathway_id::text = e.stream_id)"
    )
    return [UUID(row["stream_id"]) for row in rows]
