"""A batch of events collapsed into the figures' row changes, one per row (pure).

Each table's row gets what the batch sets (the latest value, in delivery order) and what it
adds (counts summed), so the batch writes every table with one statement. The rules are the
ones the per-event writes had: a column set outright is set by one stream only, whose events
arrive in order, so the latest in the batch is the latest; counts add; a week's first day
stands; the tenant's `as_of` takes the greatest time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from chassis.clock import HELSINKI
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

# The events the figures read (the projection decodes these before a batch writes anything).
FIGURE_EVENTS: tuple[type[EventModel], ...] = (
    PathwayOpened,
    PathwayCompleted,
    PathwayDiscontinued,
    WeekOpened,
    TaskAnswered,
    DirectionChosen,
    DirectionChanged,
    SelfAssessmentSubmitted,
    GuidanceMeetingRequested,
    GuidanceMeetingHeld,
    GuidanceMeetingMissed,
    OutcomeRecorded,
)


@dataclass
class PathRow:
    """report_paths: None leaves a column as it is; counts are added."""

    tenant: str
    municipality: str | None = None
    unit: str | None = None
    cohort: str | None = None
    opened_on: date | None = None
    start_date: date | None = None
    answers: int = 0
    direction: str | None = None
    direction_chosen_on: date | None = None
    direction_changes: int = 0


@dataclass
class WeekRow:
    """report_weeks: the first day a week opened stands; answers are added."""

    opened_on: date | None = None
    answers_on_time: int = 0
    answers_late: int = 0


@dataclass
class MeetingRow:
    requested: int = 0
    held: int = 0
    missed: int = 0


@dataclass
class FigureRows:
    paths: dict[UUID, PathRow] = field(default_factory=dict)
    ends: dict[UUID, tuple[str, date, str | None]] = field(default_factory=dict)
    weeks: dict[tuple[UUID, int], WeekRow] = field(default_factory=dict)
    meetings: dict[UUID, MeetingRow] = field(default_factory=dict)
    outcomes: dict[tuple[UUID, str], str] = field(default_factory=dict)
    assessments: dict[tuple[UUID, str, str], tuple[str, dict[str, Any]]] = field(
        default_factory=dict
    )
    freshness: dict[str, datetime] = field(default_factory=dict)

    def path(self, envelope: EventEnvelope, pathway_id: UUID) -> PathRow:
        return self.paths.setdefault(pathway_id, PathRow(envelope.tenant))

    def week(self, pathway_id: UUID, week: int) -> WeekRow:
        return self.weeks.setdefault((pathway_id, week), WeekRow())

    def meeting(self, pathway_id: UUID) -> MeetingRow:
        return self.meetings.setdefault(pathway_id, MeetingRow())


def collapse(events: list[tuple[EventEnvelope, EventModel]]) -> FigureRows:
    """The batch's row changes, the events taken in delivery order."""
    rows = FigureRows()
    for envelope, event in events:
        latest = rows.freshness.get(envelope.tenant)
        if latest is None or envelope.occurred_at > latest:
            rows.freshness[envelope.tenant] = envelope.occurred_at
        _collapse_one(rows, envelope, event)
    return rows


def _collapse_one(rows: FigureRows, envelope: EventEnvelope, event: EventModel) -> None:
    match event:
        case PathwayOpened():
            # A path's other events may come first (topics interleave): a row may be there.
            path = rows.path(envelope, event.pathway_id)
            path.municipality, path.unit, path.cohort = event.municipality, event.unit, event.cohort
            path.opened_on = envelope.occurred_at.astimezone(HELSINKI).date()
            path.start_date = event.start_date
        case PathwayCompleted():
            rows.ends[event.pathway_id] = ("completed", event.completed_on, None)
        case PathwayDiscontinued():
            rows.ends[event.pathway_id] = ("discontinued", event.discontinued_on, event.reason)
        case WeekOpened():
            week = rows.week(event.pathway_id, event.week)
            week.opened_on = week.opened_on or event.opened_on  # each week opens once
        case TaskAnswered():
            rows.path(envelope, event.pathway_id).answers += 1
            if event.kind == "answer":  # "I need help" is a start, not adherence
                week = rows.week(event.pathway_id, event.week)
                if event.late:
                    week.answers_late += 1
                else:
                    week.answers_on_time += 1
        case DirectionChosen():
            path = rows.path(envelope, event.pathway_id)
            path.direction = event.direction
            path.direction_chosen_on = event.chosen_at.astimezone(HELSINKI).date()
        case DirectionChanged():
            path = rows.path(envelope, event.pathway_id)
            path.direction = event.to_direction
            path.direction_changes += 1
        case SelfAssessmentSubmitted():
            key = (event.pathway_id, event.instrument_id, event.phase)
            rows.assessments[key] = (event.instrument_version, dict(event.scores))
        case GuidanceMeetingRequested():
            rows.meeting(event.pathway_id).requested += 1
        case GuidanceMeetingHeld():
            rows.meeting(event.pathway_id).held += 1
        case GuidanceMeetingMissed():
            rows.meeting(event.pathway_id).missed += 1
        case OutcomeRecorded():
            rows.outcomes[(event.pathway_id, event.follow_up)] = event.outcome
