"""Writing one caseload row from a projection handler."""

from __future__ import annotations

from uuid import UUID

from chassis.event_store import DbConnection
from contracts.envelope import EventEnvelope


async def update_row(
    connection: DbConnection,
    envelope: EventEnvelope,
    pathway_id: UUID,
    assignments: str,
    *values: object,
) -> None:
    """Apply `assignments` (SQL, the values from $2 on) to the path's row, made if missing.

    Events of one path come from three topics in no fixed order between them, so any of them
    may be the first to arrive; the row starts with the tenant every envelope carries.
    """
    await connection.execute(
        "INSERT INTO caseload (pathway_id, tenant) VALUES ($1, $2)"
        " ON CONFLICT (pathway_id) DO NOTHING",
        pathway_id,
        envelope.tenant,
    )
    await connection.execute(
        f"UPDATE caseload SET {assignments} WHERE pathway_id = $1", pathway_id, *values
    )
