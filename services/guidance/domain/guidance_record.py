"""A path's guidance record: its meetings (feedback and outcomes join later).

One record per path, its stream keyed by the pathway id. Decisions are plain functions that
return events; `GuidanceRecord.apply` folds them. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

from chassis.errors import Conflict, DomainError, NotFound
from contracts.events.base import EventModel
from contracts.events.guidance import (
    GuidanceMeetingHeld,
    GuidanceMeetingMissed,
    GuidanceMeetingRequested,
    GuidanceMeetingScheduled,
)

MeetingMode = Literal["in_person", "phone", "video"]
MeetingState = Literal["requested", "scheduled", "held", "missed"]


@dataclass
class Meeting:
    meeting_id: UUID
    state: MeetingState
    task_ids: list[str] = field(default_factory=list)
    starts_at: datetime | None = None


@dataclass
class GuidanceRecord:
    pathway_id: UUID
    version: int = 0
    meetings: dict[UUID, Meeting] = field(default_factory=dict)

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
                    event.meeting_id, "scheduled", list(event.task_ids), event.starts_at
                )
            case GuidanceMeetingHeld():
                self.meetings[event.meeting_id].state = "held"
            case GuidanceMeetingMissed():
                self.meetings[event.meeting_id].state = "missed"
        self.version += 1


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
