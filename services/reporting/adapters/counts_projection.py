"""Headline counts: paths opened, answers, the direction split (one row per path).

Handlers are commuting upserts, so the two topics may interleave in any order.
"""

from __future__ import annotations

from chassis.event_store import DbConnection
from chassis.projector import Projection
from contracts.envelope import EventEnvelope
from contracts.events.enrolment import PathwayOpened
from contracts.events.tasks import DirectionChosen, TaskAnswered
from contracts.registry import parse_payload

_ENSURE_ROW = (
    "INSERT INTO report_paths (pathway_id, tenant) VALUES ($1, $2)"
    " ON CONFLICT (pathway_id) DO NOTHING"
)


async def _opened(connection: DbConnection, envelope: EventEnvelope) -> None:
    event = parse_payload(envelope)
    assert isinstance(event, PathwayOpened)
    await connection.execute(_ENSURE_ROW, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE report_paths SET municipality = $2, unit = $3, cohort = $4, opened_on = $5"
        " WHERE pathway_id = $1",
        event.pathway_id,
        event.municipality,
        event.unit,
        event.cohort,
        envelope.occurred_at.date(),
    )


async def _answered(connection: DbConnection, envelope: EventEnvelope) -> None:
    event = parse_payload(envelope)
    assert isinstance(event, TaskAnswered)
    await connection.execute(_ENSURE_ROW, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE report_paths SET answers = answers + 1 WHERE pathway_id = $1", event.pathway_id
    )


async def _direction(connection: DbConnection, envelope: EventEnvelope) -> None:
    event = parse_payload(envelope)
    assert isinstance(event, DirectionChosen)
    await connection.execute(_ENSURE_ROW, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE report_paths SET direction = $2 WHERE pathway_id = $1",
        event.pathway_id,
        event.direction,
    )


COUNTS = Projection(
    name="counts",
    tables=["report_paths"],
    handlers={
        "PathwayOpened": _opened,
        "TaskAnswered": _answered,
        "DirectionChosen": _direction,
    },
)
