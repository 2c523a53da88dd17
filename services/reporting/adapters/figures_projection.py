"""The figures' read model, kept from enrolment's, tasks' and guidance's events.

Small tables keyed by path (and week, follow-up or instrument): the path's place and dates,
its end, its weeks, meetings, outcomes and self-assessment scores, and per tenant the time of
the latest event applied. Every handler commutes with the other topics' handlers (counts add,
times take the greatest, a column set outright is set by one stream only, whose events arrive
in order), so the rows end the same in any interleaving of the topics, live or in a rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

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
# One event's writes: a statement from `_one_statement` and its parameters from $3 up.
Write = tuple[str, tuple[object, ...]]
Decide = Callable[[EventEnvelope, E], Write]

TABLES = [
    "report_paths",
    "report_path_ends",
    "report_weeks",
    "report_meetings",
    "report_outcomes",
    "report_assessments",
    "report_freshness",
]

# $1 is the event's tenant and $2 its time. Not newer, no new row version: a catch-up or a
# rebuild, whose events are mostly older than the latest, leaves the row alone.
_FRESHNESS = (
    "INSERT INTO report_freshness (tenant, latest_event_at) VALUES ($1, $2)"
    " ON CONFLICT (tenant) DO UPDATE SET latest_event_at = EXCLUDED.latest_event_at"
    " WHERE report_freshness.latest_event_at < EXCLUDED.latest_event_at"
)


def _one_statement(*writes: str) -> str:
    """An event's writes and the move of its tenant's `as_of`, as one statement.

    Catching up (or rebuilding) is bound by round trips to the database, one per statement,
    far more than by the work in them. The writes run as data-modifying CTEs, which see none
    of each other's changes, so no two of them may touch the same table. Their parameters
    are numbered from $3.
    """
    ctes = ", ".join(f"write_{n} AS ({sql})" for n, sql in enumerate(writes, 1))
    return f"WITH {ctes} {_FRESHNESS}"


def applied(model: type[E], decide: Decide[E]) -> tuple[str, Handler]:
    """A typed handler that runs the event's writes, moving the tenant's `as_of` with them."""

    async def write(connection: DbConnection, envelope: EventEnvelope, event: E) -> None:
        statement, args = decide(envelope, event)
        await connection.execute(statement, envelope.tenant, envelope.occurred_at, *args)

    return typed(model, write)


_OPENED = _one_statement(
    "INSERT INTO report_paths"
    " (pathway_id, tenant, municipality, unit, cohort, opened_on, start_date)"
    " VALUES ($3, $1, $4, $5, $6, $7, $8) ON CONFLICT (pathway_id) DO UPDATE"
    " SET municipality = EXCLUDED.municipality, unit = EXCLUDED.unit,"
    " cohort = EXCLUDED.cohort, opened_on = EXCLUDED.opened_on,"
    " start_date = EXCLUDED.start_date"
)


def _opened(envelope: EventEnvelope, event: PathwayOpened) -> Write:
    # A path's other events may come first (topics interleave): the row may be there already.
    opened_on = envelope.occurred_at.astimezone(HELSINKI).date()
    args = (event.pathway_id, event.municipality, event.unit, event.cohort, opened_on)
    return _OPENED, (*args, event.start_date)


_ENDED = _one_statement(
    "INSERT INTO report_path_ends (pathway_id, ending, ended_on, reason)"
    " VALUES ($3, $4, $5, $6) ON CONFLICT (pathway_id) DO UPDATE"
    " SET ending = EXCLUDED.ending, ended_on = EXCLUDED.ended_on, reason = EXCLUDED.reason"
)


def _completed(envelope: EventEnvelope, event: PathwayCompleted) -> Write:
    return _ENDED, (event.pathway_id, "completed", event.completed_on, None)


def _discontinued(envelope: EventEnvelope, event: PathwayDiscontinued) -> Write:
    return _ENDED, (event.pathway_id, "discontinued", event.discontinued_on, event.reason)


# Each week opens once; should it be recorded twice, the first day stands.
_WEEK_OPENED = _one_statement(
    "INSERT INTO report_weeks (pathway_id, week, opened_on) VALUES ($3, $4, $5)"
    " ON CONFLICT (pathway_id, week) DO UPDATE"
    " SET opened_on = coalesce(report_weeks.opened_on, EXCLUDED.opened_on)"
)


def _week_opened(envelope: EventEnvelope, event: WeekOpened) -> Write:
    return _WEEK_OPENED, (event.pathway_id, event.week, event.opened_on)


_COUNT_ANSWER = (
    "INSERT INTO report_paths (pathway_id, tenant, answers) VALUES ($3, $1, 1)"
    " ON CONFLICT (pathway_id) DO UPDATE SET answers = report_paths.answers + 1"
)
_ANSWER_STARTED = _one_statement(_COUNT_ANSWER)
_ANSWER_WRITTEN = _one_statement(
    _COUNT_ANSWER,
    "INSERT INTO report_weeks (pathway_id, week, answers_on_time, answers_late)"
    " VALUES ($3, $4, $5, $6) ON CONFLICT (pathway_id, week) DO UPDATE"
    " SET answers_on_time = report_weeks.answers_on_time + EXCLUDED.answers_on_time,"
    " answers_late = report_weeks.answers_late + EXCLUDED.answers_late",
)


def _answered(envelope: EventEnvelope, event: TaskAnswered) -> Write:
    if event.kind != "answer":
        return _ANSWER_STARTED, (event.pathway_id,)  # "I need help": a start, not adherence
    late = (0, 1) if event.late else (1, 0)
    return _ANSWER_WRITTEN, (event.pathway_id, event.week, *late)


_DIRECTION = _one_statement(
    "INSERT INTO report_paths (pathway_id, tenant, direction, direction_chosen_on)"
    " VALUES ($3, $1, $4, $5) ON CONFLICT (pathway_id) DO UPDATE"
    " SET direction = EXCLUDED.direction, direction_chosen_on = EXCLUDED.direction_chosen_on"
)


def _direction(envelope: EventEnvelope, event: DirectionChosen) -> Write:
    chosen_on = event.chosen_at.astimezone(HELSINKI).date()
    return _DIRECTION, (event.pathway_id, event.direction, chosen_on)


_DIRECTION_CHANGED = _one_statement(
    "INSERT INTO report_paths (pathway_id, tenant, direction, direction_changes)"
    " VALUES ($3, $1, $4, 1) ON CONFLICT (pathway_id) DO UPDATE"
    " SET direction = EXCLUDED.direction,"
    " direction_changes = report_paths.direction_changes + 1"
)


def _direction_changed(envelope: EventEnvelope, event: DirectionChanged) -> Write:
    return _DIRECTION_CHANGED, (event.pathway_id, event.to_direction)


_SELF_ASSESSED = _one_statement(
    "INSERT INTO report_assessments"
    " (pathway_id, instrument_id, phase, instrument_version, scores)"
    " VALUES ($3, $4, $5, $6, $7) ON CONFLICT (pathway_id, instrument_id, phase) DO UPDATE"
    " SET instrument_version = EXCLUDED.instrument_version, scores = EXCLUDED.scores"
)


def _self_assessed(envelope: EventEnvelope, event: SelfAssessmentSubmitted) -> Write:
    args = (event.pathway_id, event.instrument_id, event.phase, event.instrument_version)
    return _SELF_ASSESSED, (*args, dict(event.scores))


def _meeting_statement(column: str) -> str:
    return _one_statement(
        f"INSERT INTO report_meetings (pathway_id, {column}) VALUES ($3, 1)"
        f" ON CONFLICT (pathway_id) DO UPDATE SET {column} = report_meetings.{column} + 1"
    )


_MEETING_REQUESTED = _meeting_statement("requested")
_MEETING_HELD = _meeting_statement("held")
_MEETING_MISSED = _meeting_statement("missed")


def _meeting_requested(envelope: EventEnvelope, event: GuidanceMeetingRequested) -> Write:
    return _MEETING_REQUESTED, (event.pathway_id,)


def _meeting_held(envelope: EventEnvelope, event: GuidanceMeetingHeld) -> Write:
    return _MEETING_HELD, (event.pathway_id,)


def _meeting_missed(envelope: EventEnvelope, event: GuidanceMeetingMissed) -> Write:
    return _MEETING_MISSED, (event.pathway_id,)


_OUTCOME = _one_statement(
    "INSERT INTO report_outcomes (pathway_id, follow_up, outcome) VALUES ($3, $4, $5)"
    " ON CONFLICT (pathway_id, follow_up) DO UPDATE SET outcome = EXCLUDED.outcome"
)


def _outcome(envelope: EventEnvelope, event: OutcomeRecorded) -> Write:
    return _OUTCOME, (event.pathway_id, event.follow_up, event.outcome)


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
