"""How a counselor reads a row of their caseload (pure): the week, and what needs attention.

Guidance does not hold the curriculum, so every rule here is made of what the events tell:
which weeks have opened, which of them got answers, what the client asked for, when the
client last did something, and what the counselor has already done about it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, get_args

from services.guidance.domain.outcomes import FollowUp, follow_ups_due

WEEKS = 12
INACTIVE_DAYS = 7

PathStatus = Literal["active", "paused", "completed", "discontinued"]
Flag = Literal[
    "behind",
    "feedback_waiting",
    "meeting_needed",
    "inactive_7_days",
    "follow_up_due",
    "message_waiting",
    "on_track",
]
SortKey = Literal["week", "start_date", "last_activity", "attention"]
PATH_STATUSES: tuple[PathStatus, ...] = get_args(PathStatus)
FLAGS: tuple[Flag, ...] = get_args(Flag)
ENDED: frozenset[PathStatus] = frozenset({"completed", "discontinued"})


def current_week(latest_opened_week: int) -> int:
    """The week the client is in: the latest WeekOpened that tasks recorded.

    Every week's opening is an event (by the calendar, or early by the counselor), and tasks
    moves the calendar for pauses, so guidance does not keep a calendar of its own.
    """
    return max(0, min(WEEKS, latest_opened_week))


@dataclass(frozen=True)
class CaseloadFacts:
    """One path's row as the rules need it."""

    status: PathStatus
    start_date: date
    opened_week: int
    # Weeks with at least one written answer (a "needs help" reply is not one).
    answered_weeks: frozenset[int]
    # The path's written answers that have no feedback yet.
    feedback_waiting: int
    # Meetings asked for (by the client or the counselor) that have no time yet.
    meetings_waiting: int
    last_help_at: datetime | None
    last_meeting_held_at: datetime | None
    # The day (in Helsinki) of the client's latest answer, self-assessment or direction choice.
    last_client_activity_on: date | None
    resumed_on: date | None
    ended_on: date | None
    follow_ups_recorded: frozenset[str]
    # The client's messages no counselor has read yet (decision 0041).
    messages_waiting: int = 0


@dataclass(frozen=True)
class Attention:
    flags: list[Flag]
    behind: int
    follow_ups_due: list[FollowUp]

    @property
    def weight(self) -> int:
        """How many things need the counselor (for sorting the most urgent first)."""
        return sum(1 for flag in self.flags if flag != "on_track")


def weeks_without_answers(opened_week: int, answered_weeks: Iterable[int]) -> int:
    """How far behind the client is: weeks before the current one without a single answer.

    A week counts once the next one has opened, which is when tasks calls its answers late.
    Guidance cannot know how many tasks a week holds, so a week with one answer of three is
    not counted: the number tells of silent weeks, not of every missing answer.
    """
    answered = set(answered_weeks)
    return sum(1 for week in range(1, current_week(opened_week)) if week not in answered)


def meeting_needed(facts: CaseloadFacts) -> bool:
    """A meeting waits for a time, or the client asked for help since the last meeting held."""
    if facts.meetings_waiting > 0:
        return True
    if facts.last_help_at is None:
        return False
    return facts.last_meeting_held_at is None or facts.last_help_at > facts.last_meeting_held_at


def inactive(facts: CaseloadFacts, today: date) -> bool:
    """An active path where the client has done nothing for a week.

    The week is counted from the latest of the start, the end of a pause and the client's last
    deed, so a path that only just began or went on again is not called inactive.
    """
    if facts.status != "active":
        return False
    since = max(
        day for day in (facts.start_date, facts.resumed_on, facts.last_client_activity_on) if day
    )
    return (today - since).days >= INACTIVE_DAYS


def attention(facts: CaseloadFacts, today: date) -> Attention:
    """The row's attention flags, in a fixed order; `on_track` when there are none.

    The client's pace (behind, inactive) matters while the path is active; the counselor's
    own to-dos (feedback, meetings) while it runs, paused or not; follow-ups once it ended.
    """
    behind = weeks_without_answers(facts.opened_week, facts.answered_weeks)
    due = follow_ups_due(facts.ended_on, facts.follow_ups_recorded, today)
    running = facts.status not in ENDED
    flags: list[Flag] = []
    if facts.status == "active" and behind > 0:
        flags.append("behind")
    if running and facts.feedback_waiting > 0:
        flags.append("feedback_waiting")
    if running and meeting_needed(facts):
        flags.append("meeting_needed")
    if inactive(facts, today):
        flags.append("inactive_7_days")
    if due:
        flags.append("follow_up_due")
    # Even on an ended path: the client's words wait to be read, though no answer can be sent.
    if facts.messages_waiting > 0:
        flags.append("message_waiting")
    return Attention(flags or ["on_track"], behind, due)
