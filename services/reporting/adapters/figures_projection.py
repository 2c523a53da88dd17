"""The figures' read model, kept from enrolment's, tasks' and guidance's events.

Small tables keyed by path (and week, follow-up or instrument): the path's place and dates,
its end, its weeks, meetings, outcomes and self-assessment scores, and per tenant the time of
the latest event applied. Every handler commutes with the other topics' handlers (counts add,
times take the greatest, a column set outright is set by one stream only, whose events arrive
in order), so the rows end the same in any interleaving of the topics, live or in a rebuild.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar
from uuid import UUID

from chassis.clock import HELSINKI
from chassis.event_store import DbConnection
from chassis.projector import Handler, Projection, typed
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from contracts.events.enrolment import PathwayCompleted, PathwayDiscontinued, PathwayOpened
from contracts.events.guidance import (
    GuidanceMeetingHeld,
    GuidanceMeetingMissed,
    GuidanceMeetingRequested,
    OutcomeRecorded,
)
from contracts.events.tasks import (
    DirectionChanged,
    DirectionChosen,
    SelfAssessmentSubmitted,
    TaskAnswered,
    WeekOpened,
)

E = TypeVar("E", bound=EventModel)
Apply = Callable[[DbConnection, EventEnvelope, E], Awaitable[None]]

TABLES = [
    "report_paths",
    "report_path_ends",
    "report_weeks",
    "report_meetings",
    "report_outcomes",
    "report_assessments",
    "report_freshness",
]


def applied(model: type[E], apply: Apply[E]) -> tuple[str, Handler]:
    """A typed handler that also moves the tenant's `as_of` to the event's time."""

    async def with_freshness(connection: DbConnection, envelope: EventEnvelope, event: E) -> None:
        await apply(connection, envelope, event)
        await connection.execute(
            "INSERT INTO report_freshness (tenant, latest_event_at) VALUES ($1, $2)"
            " ON CONFLICT (tenant) DO UPDATE"
            " SET latest_event_at = greatest(report_freshness.latest_event_at, $2)",
            envelope.tenant,
            envelope.occurred_at,
        )

    return typed(model, with_freshness)


async def _ensure_path(connection: DbConnection, pathway_id: UUID, tenant: str) -> None:
    await connection.execute(
        "INSERT INTO report_paths (pathway_id, tenant) VALUES ($1, $2)"
        " ON CONFLICT (pathway_id) DO NOTHING",
        pathway_id,
        tenant,
    )


async def _opened(connection: DbConnection, envelope: EventEnvelope, event: PathwayOpened) -> None:
    await _ensure_path(connection, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE report_paths SET municipality = $2, unit = $3, cohort = $4, opened_on = $5,"
        " start_date = $6 WHERE pathway_id = $1",
        event.pathway_id,
        event.municipality,
        event.unit,
        event.cohort,
        envelope.occurred_at.astimezone(HELSINKI).date(),
        event.start_date,
    )


async def _ended(
    connection: DbConnection, pathway_id: UUID, ending: str, ended_on: date, reason: str | None
) -> None:
    await connection.execute(
        "INSERT INTO report_path_ends (pathway_id, ending, ended_on, reason)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (pathway_id) DO UPDATE"
        " SET ending = EXCLUDED.ending, ended_on = EXCLUDED.ended_on, reason = EXCLUDED.reason",
        pathway_id,
        ending,
        ended_on,
        reason,
    )


async def _completed(
    connection: DbConnection, envelope: EventEnvelope, event: PathwayCompleted
) -> None:
    await _ended(connection, event.pathway_id, "completed", event.completed_on, None)


async def _discontinued(
    connection: DbConnection, envelope: EventEnvelope, event: PathwayDiscontinued
) -> None:
    await _ended(connection, event.pathway_id, "discontinued", event.discontinued_on, event.reason)


async def _week_opened(
    connection: DbConnection, envelope: EventEnvelope, event: WeekOpened
) -> None:
    # Each week opens once; should it be recorded twice, the first day stands.
    await connection.execute(
        "INSERT INTO report_weeks (pathway_id, week, opened_on) VALUES ($1, $2, $3)"
        " ON CONFLICT (pathway_id, week) DO UPDATE"
        " SET opened_on = coalesce(report_weeks.opened_on, EXCLUDED.opened_on)",
        event.pathway_id,
        event.week,
        event.opened_on,
    )


async def _answered(connection: DbConnection, envelope: EventEnvelope, event: TaskAnswered) -> None:
    await _ensure_path(connection, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE report_paths SET answers = answers + 1 WHERE pathway_id = $1", event.pathway_id
    )
    if event.kind != "answer":
        return  # "I need help" is no answer: it counts as a start, not for adherence
    await connection.execute(
        "INSERT INTO report_weeks (pathway_id, week, answers_on_time, answers_late)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (pathway_id, week) DO UPDATE"
        " SET answers_on_time = report_weeks.answers_on_time + EXCLUDED.answers_on_time,"
        " answers_late = report_weeks.answers_late + EXCLUDED.answers_late",
        event.pathway_id,
        event.week,
        0 if event.late else 1,
        1 if event.late else 0,
    )


async def _direction(
    connection: DbConnection, envelope: EventEnvelope, event: DirectionChosen
) -> None:
    await _ensure_path(connection, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE report_paths SET direction = $2, direction_chosen_on = $3 WHERE pathway_id = $1",
        event.pathway_id,
        event.direction,
        event.chosen_at.astimezone(HELSINKI).date(),
    )


async def _direction_changed(
    connection: DbConnection, envelope: EventEnvelope, event: DirectionChanged
) -> None:
    await _ensure_path(connection, event.pathway_id, envelope.tenant)
    await connection.execute(
        "UPDATE report_paths SET direction = $2, direction_changes = direction_changes + 1"
        " WHERE pathway_id = $1",
        event.pathway_id,
        event.to_direction,
    )


async def _self_assessed(
    connection: DbConnection, envelope: EventEnvelope, event: SelfAssessmentSubmitted
) -> None:
    await connection.execute(
        "INSERT INTO report_assessments"
        " (pathway_id, instrument_id, phase, instrument_version, scores)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pathway_id, instrument_id, phase) DO UPDATE"
        " SET instrument_version = EXCLUDED.instrument_version, scores = EXCLUDED.scores",
        event.pathway_id,
        event.instrument_id,
        event.phase,
        event.instrument_version,
        dict(event.scores),
    )


async def _meeting(connection: DbConnection, pathway_id: UUID, column: str) -> None:
    assert column in ("requested", "held", "missed")
    await connection.execute(
        f"INSERT INTO report_meetings (pathway_id, {column}) VALUES ($1, 1)"
        f" ON CONFLICT (pathway_id) DO UPDATE SET {column} = report_meetings.{column} + 1",
        pathway_id,
    )


async def _meeting_requested(
    connection: DbConnection, envelope: EventEnvelope, event: GuidanceMeetingRequested
) -> None:
    await _meeting(connection, event.pathway_id, "requested")


async def _meeting_held(
    connection: DbConnection, envelope: EventEnvelope, event: GuidanceMeetingHeld
) -> None:
    await _meeting(connection, event.pathway_id, "held")


async def _meeting_missed(
    connection: DbConnection, envelope: EventEnvelope, event: GuidanceMeetingMissed
) -> None:
    await _meeting(connection, event.pathway_id, "missed")


async def _outcome(
    connection: DbConnection, envelope: EventEnvelope, event: OutcomeRecorded
) -> None:
    await connection.execute(
        "INSERT INTO report_outcomes (pathway_id, follow_up, outcome) VALUES ($1, $2, $3)"
        " ON CONFLICT (pathway_id, follow_up) DO UPDATE SET outcome = EXCLUDED.outcome",
        event.pathway_id,
        event.follow_up,
        event.outcome,
    )


FIGURES = Projection(
    name="figures",
    tables=TABLES,
    handlers=dict(
        [
            applied(PathwayOpened, _opened),
            applied(PathwayCompleted, _completed),
            applied(PathwayDiscontinued, _discontinued),
            applied(WeekOpened, _week_opened),
            applied(TaskAnswered, _answered),
            applied(DirectionChosen, _direction),
            applied(DirectionChanged, _direction_changed),
            applied(SelfAssessmentSubmitted, _self_assessed),
            applied(GuidanceMeetingRequested, _meeting_requested),
            applied(GuidanceMeetingHeld, _meeting_held),
            applied(GuidanceMeetingMissed, _meeting_missed),
            applied(OutcomeRecorded, _outcome),
        ]
    ),
)
