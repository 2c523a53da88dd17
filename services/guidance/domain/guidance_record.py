"""A path's guidance record: its meetings, the feedback on its answers and its outcomes.

One record per path, its stream keyed by the pathway id. Decisions are plain functions that
return events; `GuidanceRecord.apply` folds them. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from chassis.errors import Conflict, DomainError, NotFound
from contracts.events.base import EventModel
from contracts.events.guidance import (
    FeedbackGiven,
    GuidanceMeetingHeld,
    GuidanceMeetingMissed,
    GuidanceMeetingRequested,
    GuidanceMeetingScheduled,
    OutcomeRecorded,
)

MeetingMode = Literal["in_person", "phone", "video"]
MeetingState = Literal["requested", "scheduled", "held", "missed"]
Requester = Literal["client", "counselor"]
MAX_FEEDBACK_LENGTH = 2000


@dataclass
class Meeting:
    meeting_id: UUID
    state: MeetingState
    task_ids: list[str] = field(default_factory=list)
    starts_at: datetime | None = None
    mode: MeetingMode | None = None


@dataclass(frozen=True)
class RecordedOutcome:
    follow_up: str
    outcome: str
    outcome_date: date
    recorded_at: datetime


@dataclass
class GuidanceRecord:
    pathway_id: UUID
    version: int = 0
    meetings: dict[UUID, Meeting] = field(default_factory=dict)
    # By follow-up ("end", "3m", "6m"): at most one each.
    outcomes: dict[str, RecordedOutcome] = field(default_factory=dict)

    @classmethod
    def from_history(
        cls, pathway_id: UUID, version: int, events: Iterable[EventModel]
    ) -> GuidanceRecord:
        record = cls(pathway_id)
        for event in events:
            record.apply(event)
        record.version = version
        return record

    def apply(self, event: EventModel) -> None:
        match event:
            case GuidanceMeetingRequested():
                self.meetings[event.meeting_id] = Meeting(
                    event.meeting_id, "requested", [event.task_id] if event.task_id else []
                )
            case GuidanceMeetingScheduled():
                self.meetings[event.meeting_id] = Meeting(
                    event.meeting_id,
                    "scheduled",
                    list(event.task_ids),
                    event.starts_at,
                    event.mode,
                )
            case GuidanceMeetingHeld():
                self.meetings[event.meeting_id].state = "held"
            case GuidanceMeetingMissed():
                self.meetings[event.meeting_id].state = "missed"
            case OutcomeRecorded():
                self.outcomes[event.follow_up] = RecordedOutcome(
                    event.follow_up, event.outcome, event.outcome_date, event.recorded_at
                )
        self.version += 1

    def pending_request(self, task_id: str | None) -> Meeting | None:
        """A request about this task (or about nothing in particular) not yet scheduled."""
        wanted = [task_id] if task_id else []
        for meeting in self.meetings.values():
            if meeting.state == "requested" and meeting.task_ids == wanted:
                return meeting
        return None


def request_meeting(
    record: GuidanceRecord,
    meeting_id: UUID,
    requested_by: Requester,
    task_id: str | None,
    requested_at: datetime,
) -> tuple[UUID, list[EventModel]]:
    """The meeting a request stands for, and the events to record.

    While a request about the same task is still waiting for a time, asking again (a
    double click, or the client and the counselor both asking) points at that request and
    records nothing: one meeting is what both of them want.
    """
    pending = record.pending_request(task_id)
    if pending is not None:
        return pending.meeting_id, []
    return meeting_id, [
        GuidanceMeetingRequested(
            pathway_id=record.pathway_id,
            meeting_id=meeting_id,
            requested_by=requested_by,
            task_id=task_id,
            requested_at=requested_at,
        )
    ]


def schedule_meeting(
    record: GuidanceRecord,
    meeting_id: UUID,
    starts_at: datetime,
    mode: MeetingMode,
    task_ids: list[str],
) -> list[EventModel]:
    existing = record.meetings.get(meeting_id)
    if existing is not None and existing.state in ("held", "missed"):
        raise Conflict("guidance.meeting_closed")
    return [
        GuidanceMeetingScheduled(
            pathway_id=record.pathway_id,
            meeting_id=meeting_id,
            starts_at=starts_at,
            mode=mode,
            task_ids=task_ids,
        )
    ]


def hold_meeting(record: GuidanceRecord, meeting_id: UUID, held_at: datetime) -> list[EventModel]:
    meeting = record.meetings.get(meeting_id)
    if meeting is None:
        raise NotFound("error.not_found")
    if meeting.state == "held":
        return []
    if meeting.state != "scheduled":
        raise DomainError("guidance.meeting_not_scheduled")
    return [
        GuidanceMeetingHeld(
            pathway_id=record.pathway_id,
            meeting_id=meeting_id,
            held_at=held_at,
            task_ids=meeting.task_ids,
        )
    ]


def mark_missed(record: GuidanceRecord, meeting_id: UUID, missed_at: datetime) -> list[EventModel]:
    meeting = record.meetings.get(meeting_id)
    if meeting is None:
        raise NotFound("error.not_found")
    if meeting.state != "scheduled":
        raise DomainError("guidance.meeting_not_scheduled")
    return [
        GuidanceMeetingMissed(
            pathway_id=record.pathway_id, meeting_id=meeting_id, missed_at=missed_at
        )
    ]


def give_feedback(
    record: GuidanceRecord,
    feedback_id: UUID,
    answer_id: UUID,
    client_ref: str | None,
    counselor_id: str,
    text: str,
    given_at: datetime,
    *,
    answer_known: bool,
    answer_erased: bool = False,
) -> list[EventModel]:
    """Feedback on one of the path's answers. The text is checked here but never enters the
    event: it is kept apart so that it can be erased."""
    # The client's pseudonym reaches guidance with the very events that announce answers,
    # so without it no answer of this path has arrived yet.
    if not answer_known or client_ref is None:
        raise NotFound("guidance.unknown_answer")
    if answer_erased:
        raise Conflict("guidance.answer_erased")
    stripped = text.strip()
    if not stripped:
        raise DomainError("guidance.feedback_empty")
    if len(stripped) > MAX_FEEDBACK_LENGTH:
        raise DomainError(
            "guidance.feedback_too_long", limit=MAX_FEEDBACK_LENGTH, length=len(stripped)
        )
    return [
        FeedbackGiven(
            pathway_id=record.pathway_id,
            client_ref=client_ref,
            answer_id=answer_id,
            feedback_id=feedback_id,
            counselor_id=counselor_id,
            given_at=given_at,
        )
    ]
