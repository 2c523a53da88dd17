"""A caseload row and what each of the caseload's events does to it (pure, no I/O).

The projection folds a batch's events of one path, in delivery order, over the row as stored
(or as a new row starts), and writes the result (issue 15). Order matters only within a topic:
a column set outright is set by one stream only, whose events arrive in order, while the
changes that every topic makes commute (counts add, times and weeks take the greatest, sets
gain members), so the row ends the same in any interleaving of the topics, live or in a
rebuild. `client_ref` is filled in by the first event that carries it, and the opening sets
it outright: both carry the same reference.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from contracts.events.enrolment import (
    ClientDataErased,
    CounselorAssigned,
    PathwayCompleted,
    PathwayDiscontinued,
    PathwayOpened,
    PathwayPaused,
    PathwayResumed,
)
from contracts.events.guidance import (
    FeedbackGiven,
    GuidanceMeetingHeld,
    GuidanceMeetingRequested,
    GuidanceMeetingScheduled,
    OutcomeRecorded,
)
from contracts.events.tasks import (
    DirectionChanged,
    DirectionChosen,
    PlanStarted,
    SelfAssessmentSubmitted,
    TaskAnswered,
    WeekOpened,
)

# The events the caseload reads (the projector decodes these before a batch writes anything).
CASELOAD_EVENTS: tuple[type[EventModel], ...] = (
    PathwayOpened,
    CounselorAssigned,
    PathwayPaused,
    PathwayResumed,
    PathwayCompleted,
    PathwayDiscontinued,
    ClientDataErased,
    DirectionChosen,
    DirectionChanged,
    PlanStarted,
    TaskAnswered,
    SelfAssessmentSubmitted,
    WeekOpened,
    GuidanceMeetingRequested,
    GuidanceMeetingScheduled,
    GuidanceMeetingHeld,
    FeedbackGiven,
    OutcomeRecorded,
)


@dataclass
class CaseloadRow:
    """The columns the events change; a new row starts as the table's defaults.

    The lists are kept as the table keeps them: counselors and waiting meetings in the order
    they came, answered weeks and recorded follow-ups sorted without repeats.
    """

    client_ref: str | None = None
    counselor_ids: list[str] = field(default_factory=list)
    municipality: str | None = None
    unit: str | None = None
    cohort: str | None = None
    start_date: date | None = None
    status: str = "active"
    answers: int = 0
    help_requests: int = 0
    opened_week: int = 0
    direction: str | None = None
    last_activity_at: datetime | None = None
    resumed_on: date | None = None
    ended_on: date | None = None
    answered_weeks: list[int] = field(default_factory=list)
    last_client_activity_at: datetime | None = None
    last_help_at: datetime | None = None
    meetings_waiting: list[UUID] = field(default_factory=list)
    last_meeting_held_at: datetime | None = None
    last_feedback_at: datetime | None = None
    follow_ups_recorded: list[str] = field(default_factory=list)
    erased_at: datetime | None = None
    curriculum_version: str | None = None

    def apply(self, envelope: EventEnvelope, event: EventModel) -> None:
        """One event's change, in the stream's order."""
        match event:
            case PathwayOpened():
                self.client_ref = event.client_ref
                self.counselor_ids = list(event.counselor_ids)
                self.municipality, self.unit = event.municipality, event.unit
                self.cohort, self.start_date = event.cohort, event.start_date
                self.last_activity_at = _later(self.last_activity_at, envelope.occurred_at)
            case CounselorAssigned():
                # The new counselor goes last, once; the one they replace goes.
                kept = (event.counselor_id, event.replaces)
                self.counselor_ids = [c for c in self.counselor_ids if c not in kept]
                self.counselor_ids.append(event.counselor_id)
            case PathwayPaused():
                self.status = "paused"
            case PathwayResumed():
                # The day it went on restarts the week of quiet after which a client counts
                # as inactive.
                self.status, self.resumed_on = "active", event.resumed_on
            case PathwayCompleted():
                self.status, self.ended_on = "completed", event.completed_on
            case PathwayDiscontinued():
                self.status, self.ended_on = "discontinued", event.discontinued_on
            case ClientDataErased():
                self.erased_at = event.erased_at
            case DirectionChosen():
                self.direction = event.direction
                self._client_active(event.chosen_at)
            case DirectionChanged():
                # Agreed with the counselor: activity on the path, not the client's own deed.
                self.direction = event.to_direction
                self.last_activity_at = _later(self.last_activity_at, event.changed_at)
            case PlanStarted():
                # The curriculum the path keeps: the tasks its meetings may be about (0019).
                self.curriculum_version = event.curriculum_version
            case _:
                self._apply_guidance(event)

    def _apply_guidance(self, event: EventModel) -> None:
        """The client's work and the counselor's deeds (tasks' and guidance's topics)."""
        match event:
            case TaskAnswered():
                self.client_ref = self.client_ref or event.client_ref
                self._client_active(event.answered_at)
                if event.kind == "answer":
                    self.answers += 1
                    if event.week not in self.answered_weeks:
                        self.answered_weeks = sorted([*self.answered_weeks, event.week])
                else:
                    self.help_requests += 1
                    self.last_help_at = _later(self.last_help_at, event.answered_at)
            case SelfAssessmentSubmitted():
                self._client_active(event.submitted_at)
            case WeekOpened():
                self.opened_week = max(self.opened_week, event.week)
            case GuidanceMeetingRequested():
                # Asked again (a redelivery the tracking cannot see): waiting once, last.
                waiting = [m for m in self.meetings_waiting if m != event.meeting_id]
                self.meetings_waiting = [*waiting, event.meeting_id]
            case GuidanceMeetingScheduled():
                self.meetings_waiting = [m for m in self.meetings_waiting if m != event.meeting_id]
            case GuidanceMeetingHeld():
                self.last_meeting_held_at = _later(self.last_meeting_held_at, event.held_at)
            case FeedbackGiven():
                self.last_feedback_at = _later(self.last_feedback_at, event.given_at)
            case OutcomeRecorded():
                self.follow_ups_recorded = sorted({*self.follow_ups_recorded, event.follow_up})

    def _client_active(self, at: datetime) -> None:
        self.last_activity_at = _later(self.last_activity_at, at)
        self.last_client_activity_at = _later(self.last_client_activity_at, at)


def _later(current: datetime | None, new: datetime) -> datetime:
    return new if current is None or new > current else current


def path_of(event: EventModel) -> UUID:
    """The path whose row an event changes (every caseload event names one)."""
    pathway_id = getattr(event, "pathway_id", None)
    assert isinstance(pathway_id, UUID), f"{type(event).__name__} names no path"
    return pathway_id


def fold(
    rows: dict[UUID, CaseloadRow], events: Iterable[tuple[EventEnvelope, EventModel]]
) -> dict[UUID, CaseloadRow]:
    """Each event applied to its path's row, in delivery order (`rows` holds every path of
    the events: as stored, or new)."""
    for envelope, event in events:
        rows[path_of(event)].apply(envelope, event)
    return rows
