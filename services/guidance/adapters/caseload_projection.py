"""The caseload projection: one row per path, from enrolment's and tasks' events.

Every handler is an upsert that commutes with the others (counts add, times take the
greatest), so the row ends the same whatever order the two topics interleave in, live or in
a rebuild.
"""

from __future__ import annotations

from uuid import UUID

from chassis.event_store import DbConnection
from chassis.projector import Projection, typed
from contracts.envelope import EventEnvelope
from contracts.events.enrolment import CounselorAssigned, PathwayOpened
from contracts.events.tasks import DirectionChosen, TaskAnswered, WeekOpened


async def _ensure_row(connection: DbConnection, pathway_id: UUID, tenant: str) -> None:
    await connection.execute(
        "INSERT INTO caseload (pathway_id, tenant) VALUES ($1, $2)"
        " ON CONFLICT (pathway_id) DO NOTHING",
        pathway_id,
        tenant,
    )


async def _opened(connection: DbConnection, envelope: EventEnvelope, event: PathwayOpened) -> None:
    await _ensure_row(connection, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE caseload SET client_ref = $2, counselor_ids = $3, municipality = $4, unit = $5,"
        " cohort = $6, start_date = $7,"
        " last_activity_at = greatest(last_activity_at, $8)"
        " WHERE pathway_id = $1",
        event.pathway_id,
        event.client_ref,
        list(event.counselor_ids),
        event.municipality,
        event.unit,
        event.cohort,
        event.start_date,
        envelope.occurred_at,
    )


async def _counselor(
    connection: DbConnection, envelope: EventEnvelope, event: CounselorAssigned
) -> None:
    await _ensure_row(connection, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE caseload SET counselor_ids ="
        " array_append(array_remove(array_remove(counselor_ids, $3), $2), $2)"
        " WHERE pathway_id = $1",
        event.pathway_id,
        event.counselor_id,
        event.replaces,
    )


async def _answered(connection: DbConnection, envelope: EventEnvelope, event: TaskAnswered) -> None:
    await _ensure_row(connection, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE caseload SET answers = answers + $2, help_requests = help_requests + $3,"
        " client_ref = coalesce(client_ref, $4),"
        " last_activity_at = greatest(last_activity_at, $5) WHERE pathway_id = $1",
        event.pathway_id,
        int(event.kind == "answer"),
        int(event.kind == "needs_help"),
        event.client_ref,
        event.answered_at,
    )


async def _direction(
    connection: DbConnection, envelope: EventEnvelope, event: DirectionChosen
) -> None:
    await _ensure_row(connection, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE caseload SET direction = $2, last_activity_at = greatest(last_activity_at, $3)"
        " WHERE pathway_id = $1",
        event.pathway_id,
        event.direction,
        event.chosen_at,
    )


async def _week_opened(
    connection: DbConnection, envelope: EventEnvelope, event: WeekOpened
) -> None:
    await _ensure_row(connection, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE caseload SET opened_week = greatest(opened_week, $2) WHERE pathway_id = $1",
        event.pathway_id,
        event.week,
    )


CASELOAD = Projection(
    name="caseload",
    tables=["caseload"],
    handlers=dict(
        [
            typed(PathwayOpened, _opened),
            typed(CounselorAssigned, _counselor),
            typed(TaskAnswered, _answered),
            typed(DirectionChosen, _direction),
            typed(WeekOpened, _week_opened),
        ]
    ),
)
