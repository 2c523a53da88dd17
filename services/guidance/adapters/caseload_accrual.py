"""The caseload's changes that commute with every other one, collapsed per row and written for
the whole batch in one statement (issue 15).

Answers, self-assessments, weeks opened, meetings held and feedback only add to counts, take
the greatest of times and weeks, or join a set of weeks, so their order against each other
and against the path's other events does not matter (`client_ref` is only filled in when the
opening has not set it yet, and both carry the same reference). They are most of a path's
events; the rest are written one by one, in order (caseload_projection).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from chassis.event_store import DbConnection
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from contracts.events.guidance import FeedbackGiven, GuidanceMeetingHeld
from contracts.events.tasks import SelfAssessmentSubmitted, TaskAnswered, WeekOpened

ACCRUING: tuple[type[EventModel], ...] = (
    TaskAnswered,
    SelfAssessmentSubmitted,
    WeekOpened,
    GuidanceMeetingHeld,
    FeedbackGiven,
)


def _later(current: datetime | None, new: datetime) -> datetime:
    return new if current is None or new > current else current


@dataclass
class Accrued:
    """What a batch adds to one row (None or empty: nothing)."""

    answers: int = 0
    help_requests: int = 0
    client_ref: str | None = None
    last_activity_at: datetime | None = None
    last_client_activity_at: datetime | None = None
    answered_weeks: set[int] = field(default_factory=set)
    last_help_at: datetime | None = None
    opened_week: int = 0
    last_meeting_held_at: datetime | None = None
    last_feedback_at: datetime | None = None

    def add(self, event: EventModel) -> None:
        match event:
            case TaskAnswered():
                self.client_ref = self.client_ref or event.client_ref
                self._client_active(event.answered_at)
                if event.kind == "answer":
                    self.answers += 1
                    self.answered_weeks.add(event.week)
                else:
                    self.help_requests += 1
                    self.last_help_at = _later(self.last_help_at, event.answered_at)
            case SelfAssessmentSubmitted():
                self._client_active(event.submitted_at)
            case WeekOpened():
                self.opened_week = max(self.opened_week, event.week)
            case GuidanceMeetingHeld():
                self.last_meeting_held_at = _later(self.last_meeting_held_at, event.held_at)
            case FeedbackGiven():
                self.last_feedback_at = _later(self.last_feedback_at, event.given_at)

    def _client_active(self, at: datetime) -> None:
        self.last_activity_at = _later(self.last_activity_at, at)
        self.last_client_activity_at = _later(self.last_client_activity_at, at)


def accrue(events: Sequence[tuple[EventEnvelope, EventModel]]) -> dict[UUID, Accrued]:
    rows: dict[UUID, Accrued] = {}
    for _, event in events:
        pathway_id = getattr(event, "pathway_id", None)
        if isinstance(pathway_id, UUID):
            rows.setdefault(pathway_id, Accrued()).add(event)
    return rows


# greatest() passes over NULLs, so a time the batch does not have leaves the row's.
_ACCRUE = """
    UPDATE caseload AS c SET
        answers = c.answers + u.answers,
        help_requests = c.help_requests + u.help_requests,
        client_ref = coalesce(c.client_ref, u.client_ref),
        last_activity_at = greatest(c.last_activity_at, u.last_activity_at),
        last_client_activity_at = greatest(c.last_client_activity_at, u.last_client_activity_at),
        answered_weeks = CASE WHEN u.answered_weeks = '' THEN c.answered_weeks
            ELSE ARRAY(SELECT DISTINCT w FROM unnest(c.answered_weeks
                || string_to_array(u.answered_weeks, ',')::integer[]) AS w ORDER BY w) END,
        last_help_at = greatest(c.last_help_at, u.last_help_at),
        opened_week = greatest(c.opened_week, u.opened_week),
        last_meeting_held_at = greatest(c.last_meeting_held_at, u.last_meeting_held_at),
        last_feedback_at = greatest(c.last_feedback_at, u.last_feedback_at)
    FROM unnest($1::uuid[], $2::integer[], $3::integer[], $4::text[], $5::timestamptz[],
        $6::timestamptz[], $7::text[], $8::timestamptz[], $9::integer[], $10::timestamptz[],
        $11::timestamptz[])
        AS u(pathway_id, answers, help_requests, client_ref, last_activity_at,
             last_client_activity_at, answered_weeks, last_help_at, opened_week,
             last_meeting_held_at, last_feedback_at)
    WHERE c.pathway_id = u.pathway_id
"""


async def write_accrued(connection: DbConnection, rows: dict[UUID, Accrued]) -> None:
    """The batch's accrued changes, one statement for all rows (made by `make_rows`), in key
    order like the rows themselves."""
    if not rows:
        return
    keys = sorted(rows)
    chosen = [rows[key] for key in keys]
    await connection.execute(
        _ACCRUE,
        keys,
        [r.answers for r in chosen],
        [r.help_requests for r in chosen],
        [r.client_ref for r in chosen],
        [r.last_activity_at for r in chosen],
        [r.last_client_activity_at for r in chosen],
        [",".join(str(week) for week in sorted(r.answered_weeks)) for r in chosen],
        [r.last_help_at for r in chosen],
        [r.opened_week for r in chosen],
        [r.last_meeting_held_at for r in chosen],
        [r.last_feedback_at for r in chosen],
    )
