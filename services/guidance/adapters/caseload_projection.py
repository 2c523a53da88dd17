"""The caseload projection: one row per path, from enrolment's and tasks' events.

Every handler is an upsert that commutes with the others (counts add, times take the
greatest), so the row ends the same whatever order the two topics interleave in, live or in
a rebuild.
"""

from __future__ import annotations

from chassis.event_store import DbConnection
from chassis.projector import Projection
from contracts.envelope import EventEnvelope
from contracts.events.enrolment import CounselorAssigned, PathwayOpened
from contracts.events.tasks import DirectionChosen, TaskAnswered, WeekOpened
from contracts.registry import parse_payload

_ENSURE_ROW = (
    "INSERT INTO caseload (pathway_id, tenant) VALUES ($1, $2) ON CONFLICT (pathway_id) DO NOTHING"
)


async def _opened(connection: DbConnection, envelope: EventEnvelope) -> None:
    event = parse_payload(envelope)
    assert isinstance(event, PathwayOpened)
    await connection.execute(_ENSURE_ROW, event.pathway_id, envelope.tenant)
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


async def _counselor(connection: DbConnection, envelope: EventEnvelope) -> None:
    event = parse_payload(envelope)
    assert isinstance(event, CounselorAssigned)
    await connection.execute(_ENSURE_ROW, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE caseload SET counselor_ids ="
        " array_append(array_remove(array_remove(counselor_ids, $3), $2), $2)"
        " WHERE pathway_id = $1",
        event.pathway_id,
        event.counselor_id,
        event.replaces,
    )


async def _answered(connection: DbConnection, envelope: EventEnvelope) -> None:
    event = parse_payload(envelope)
    assert isinstance(event, TaskAnswered)
    await connection.execute(_ENSURE_ROW, event.pathway_id, envelope.tenant)
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


async def _direction(connection: DbConnection, envelope: EventEnvelope) -> None:
    event = parse_payload(envelope)
    assert isinstance(event, DirectionChosen)
    await connection.execute(_ENSURE_ROW, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE caseload SET direction = $2, last_activity_at = greatest(last_activity_at, $3)"
        " WHERE pathway_id = $1",
        event.pathway_id,
        event.direction,
        event.chosen_at,
    )


async def _week_opened(connection: DbConnection, envelope: EventEnvelope) -> None:
    event = parse_payload(envelope)
    assert isinstance(event, WeekOpened)
    await connection.execute(_ENSURE_ROW, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE caseload SET early_open_week = greatest(early_open_week, $2) WHERE pathway_id = $1",
        event.pathway_id,
        event.week,
    )


CASELOAD = Projection(
    name="caseload",
    tables=["caseload"],
    handlers={
        "PathwayOpened": _opened,
        "CounselorAssigned": _counselor,
        "TaskAnswered": _answered,
        "DirectionChosen": _direction,
        "WeekOpened": _week_opened,
    },
)
