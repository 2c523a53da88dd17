"""Headline counts: paths opened, answers, the direction split (one row per path).

Handlers are commuting upserts, so the two topics may interleave in any order.
"""

from __future__ import annotations

from uuid import UUID

from chassis.event_store import DbConnection
from chassis.projector import Projection, typed
from contracts.envelope import EventEnvelope
from contracts.events.enrolment import PathwayOpened
from contracts.events.tasks import DirectionChosen, TaskAnswered


async def _ensure_row(connection: DbConnection, pathway_id: UUID, tenant: str) -> None:
    await connection.execute(
        "INSERT INTO report_paths (pathway_id, tenant) VALUES ($1, $2)"
        " ON CONFLICT (pathway_id) DO NOTHING",
        pathway_id,
        tenant,
    )


async def _opened(connection: DbConnection, envelope: EventEnvelope, event: PathwayOpened) -> None:
    await _ensure_row(connection, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE report_paths SET municipality = $2, unit = $3, cohort = $4, opened_on = $5"
        " WHERE pathway_id = $1",
        event.pathway_id,
        event.municipality,
        event.unit,
        event.cohort,
        envelope.occurred_at.date(),
    )


async def _answered(connection: DbConnection, envelope: EventEnvelope, event: TaskAnswered) -> None:
    await _ensure_row(connection, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE report_paths SET answers = answers + 1 WHERE pathway_id = $1", event.pathway_id
    )


async def _direction(
    connection: DbConnection, envelope: EventEnvelope, event: DirectionChosen
) -> None:
    await _ensure_row(connection, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE report_paths SET direction = $2 WHERE pathway_id = $1",
        event.pathway_id,
        event.direction,
    )


COUNTS = Projection(
    name="counts",
    tables=["report_paths"],
    handlers=dict(
        [
            typed(PathwayOpened, _opened),
            typed(TaskAnswered, _answered),
            typed(DirectionChosen, _direction),
        ]
    ),
)
