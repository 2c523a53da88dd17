"""`pathway_list`: one row per path, the state the counselor's list shows.

A projection of enrolment's events, applied in the transaction of every append (an inline
projection), so it is never behind the events; tracked, so it rebuilds from the store. It
holds no name: names stay in the vault and are joined in when read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import asyncpg

from chassis.event_store import DbConnection
from chassis.projector import Handler, Projection, typed
from contracts.envelope import EventEnvelope
from contracts.events.enrolment import (
    ClientDataErased,
    CounselorAssigned,
    PathwayCompleted,
    PathwayDiscontinued,
    PathwayOpened,
    PathwayPaused,
    PathwayResumed,
)
from services.enrolment.domain.pathway import Status


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


async def _opened(connection: DbConnection, envelope: EventEnvelope, event: PathwayOpened) -> None:
    await connection.execute(
        """
        INSERT INTO pathway_list (pathway_id, tenant, client_ref, status, start_date,
                                  municipality, unit, cohort, counselor_ids, erased, version)
        VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, $8, false, $9)
        """,
        event.pathway_id,
        envelope.tenant,
        event.client_ref,
        event.start_date,
        event.municipality,
        event.unit,
        event.cohort,
        list(event.counselor_ids),
        envelope.stream_version,
    )


async def _counselor_assigned(
    connection: DbConnection, envelope: EventEnvelope, event: CounselorAssigned
) -> None:
    # As Pathway.apply does: the replaced counselor leaves, the new one joins once.
    await connection.execute(
        """
        UPDATE pathway_list SET
            counselor_ids = CASE WHEN $2 = ANY(array_remove(counselor_ids, $3))
                                 THEN array_remove(counselor_ids, $3)
                                 ELSE array_append(array_remove(counselor_ids, $3), $2) END,
            version = $4
        WHERE pathway_id = $1
        """,
        event.pathway_id,
        event.counselor_id,
        event.replaces,
        envelope.stream_version,
    )


def _set_status(status: Status) -> Handler:
    async def apply(connection: DbConnection, envelope: EventEnvelope) -> None:
        await connection.execute(
            "UPDATE pathway_list SET status = $2, version = $3 WHERE pathway_id::text = $1",
            envelope.stream_id,
            status,
            envelope.stream_version,
        )

    return apply


async def _erased(connection: DbConnection, envelope: EventEnvelope) -> None:
    await connection.execute(
        "UPDATE pathway_list SET erased = true, version = $2 WHERE pathway_id::text = $1",
        envelope.stream_id,
        envelope.stream_version,
    )


# Kept inline by enrolment's commands (see bootstrap), so the list is never behind the events;
# tracked like any projection, so it rebuilds from the store.
PATHWAY_LIST = Projection(
    name="enrolment_pathway_list",
    tables=["pathway_list"],
    handlers=dict(
        [
            typed(PathwayOpened, _opened),
            typed(CounselorAssigned, _counselor_assigned),
            (PathwayPaused.event_type, _set_status("paused")),
            (PathwayResumed.event_type, _set_status("active")),
            (PathwayCompleted.event_type, _set_status("completed")),
            (PathwayDiscontinued.event_type, _set_status("discontinued")),
            (ClientDataErased.event_type, _erased),
        ]
    ),
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
