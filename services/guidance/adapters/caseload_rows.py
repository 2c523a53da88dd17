"""Writing the caseload's rows from its projection: the batch's rows made in one statement,
then each event's change to its row."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from chassis.event_store import DbConnection
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel


async def make_rows(
    connection: DbConnection, events: Sequence[tuple[EventEnvelope, EventModel]]
) -> None:
    """Every path of the batch gets its row, if it has none yet, in one statement.

    Events of one path come from three topics in no fixed order between them, so any of them
    may be the first to arrive; the row starts with the tenant every envelope carries.
    """
    paths: dict[UUID, str] = {}
    for envelope, event in events:
        pathway_id = getattr(event, "pathway_id", None)
        if isinstance(pathway_id, UUID):
            paths.setdefault(pathway_id, envelope.tenant)
    await connection.execute(
        "INSERT INTO caseload (pathway_id, tenant)"
        " SELECT * FROM unnest($1::uuid[], $2::text[]) ORDER BY 1"
        " ON CONFLICT (pathway_id) DO NOTHING",
        list(paths),
        list(paths.values()),
    )


async def update_row(
    connection: DbConnection,
    envelope: EventEnvelope,
    pathway_id: UUID,
    assignments: str,
    *values: object,
) -> None:
    """Apply `assignments` (SQL, the values from $2 on) to the path's row (`make_rows` made
    it earlier in the batch's transaction)."""
    await connection.execute(
        f"UPDATE caseload SET {assignments} WHERE pathway_id = $1", pathway_id, *values
    )
