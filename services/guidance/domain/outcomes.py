"""Outcome follow-ups: what the client went on to, at the path's end and 3 and 6 months later.

Rules (pure): one outcome per follow-up; none before the path has ended; the later follow-ups
not before their time, less a two-week window so that a counselor can call a little early;
an outcome never dates from before the path began, nor from the future.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, get_args

from chassis.errors import Conflict, DomainError, NotFound
from contracts.events.base import EventModel
from contracts.events.guidance import OutcomeRecorded
from services.guidance.domain.guidance_record import GuidanceRecord

FollowUp = Literal["end", "3m", "6m"]
OutcomeKind = Literal["employed", "work_trial", "studies", "other_service", "none"]
FOLLOW_UPS: tuple[FollowUp, ...] = get_args(FollowUp)
MONTHS_AFTER_END: dict[FollowUp, int] = {"end": 0, "3m": 3, "6m": 6}
# How early a later follow-up may be recorded: counselors call the client when they can.
EARLY_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class PathSpan:
    """What guidance knows of a path's course, from enrolment's events."""

    client_ref: str | None
    start_date: date | None
    ended_on: date | None


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_on(follow_up: FollowUp, ended_on: date) -> date:
    """The day a follow-up falls due: the end itself, or 3 or 6 months after it."""
    return add_months(ended_on, MONTHS_AFTER_END[follow_up])


def earliest_recording(follow_up: FollowUp, ended_on: date) -> date:
    if follow_up == "end":
        return ended_on
    return due_on(follow_up, ended_on) - EARLY_WINDOW


def follow_ups_due(ended_on: date | None, recorded: Iterable[str], today: date) -> list[FollowUp]:
    """The follow-ups whose day has come and whose outcome is not yet recorded, in order."""
    if ended_on is None:
        return []
    done = set(recorded)
    return [f for f in FOLLOW_UPS if f not in done and today >= due_on(f, ended_on)]


def record_outcome(
    record: GuidanceRecord,
    span: PathSpan,
    follow_up: FollowUp,
    outcome: OutcomeKind,
    outcome_date: date,
    today: date,
    recorded_at: datetime,
) -> list[EventModel]:
    if span.client_ref is None or span.start_date is None:
        raise NotFound("error.not_found")  # the path's opening has not reached guidance yet
    if follow_up in record.outcomes:
        raise Conflict("guidance.outcome_already_recorded")
    if span.ended_on is None:
        raise DomainError("guidance.path_not_ended")
    earliest = earliest_recording(follow_up, span.ended_on)
    if today < earliest:
        raise DomainError(
            "guidance.follow_up_too_early",
            months=MONTHS_AFTER_END[follow_up],
            earliest=finnish_date(earliest),
        )
    if outcome_date < span.start_date:
        raise DomainError("guidance.outcome_before_start", start=finnish_date(span.start_date))
    # An outcome is something that has begun; a job promised for next month is recorded at
    # the next follow-up, once it has.
    if outcome_date > today:
        raise DomainError("guidance.outcome_in_future")
    return [
        OutcomeRecorded(
            pathway_id=record.pathway_id,
            client_ref=span.client_ref,
            follow_up=follow_up,
            outcome=outcome,
            outcome_date=outcome_date,
            recorded_at=recorded_at,
        )
    ]


def finnish_date(day: date) -> str:
    """A date as both Finnish and Finland-Swedish readers write it: 1.3.2027."""
    return f"{day.day}.{day.month}.{day.year}"
