"""The simulated clients' paths as dated steps, in the order they happen.

Week w of a path opens on its start date (a Monday) plus 7·(w−1) days. Clients work on a
week on its Tuesday to Thursday, late answers come the week after (when the next week has
opened, which is what makes them late), counselors meet a day after a request, and paths end
and are followed up on the days the rules allow. Steps after the spec's `end` are left out:
the latest cohort is still under way when the simulation stops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from services.guidance.domain.outcomes import FollowUp, due_on
from services.tasks.domain.curriculum import DIRECTION_WEEK, WEEKS
from simulator.population import ClientProfile, PopulationSpec


@dataclass(frozen=True)
class OpenPath:
    pass


@dataclass(frozen=True)
class SelfAssess:
    phase: str  # "baseline" or "final"


@dataclass(frozen=True)
class Work:
    """Answer some of a week's tasks (by their position in the week)."""

    week: int
    positions: frozenset[int]
    needs_help: frozenset[int]
    late: bool


@dataclass(frozen=True)
class ChooseDirection:
    direction: str


@dataclass(frozen=True)
class ChangeDirection:
    direction: str


@dataclass(frozen=True)
class RequestMeeting:
    week: int  # the meeting is about that week's meeting task; 0: about nothing in particular


@dataclass(frozen=True)
class HoldMeeting:
    week: int
    held: bool  # False: the client did not come


@dataclass(frozen=True)
class Discontinue:
    reason: str


@dataclass(frozen=True)
class Complete:
    pass


@dataclass(frozen=True)
class RecordOutcome:
    follow_up: FollowUp
    outcome: str
    outcome_date: date


Action = (
    OpenPath
    | SelfAssess
    | Work
    | ChooseDirection
    | ChangeDirection
    | RequestMeeting
    | HoldMeeting
    | Discontinue
    | Complete
    | RecordOutcome
)

# Within a day: the counselor's morning, then the client's work, then meetings, then endings.
RANK: dict[type, int] = {
    OpenPath: 0,
    ChangeDirection: 1,
    SelfAssess: 2,
    ChooseDirection: 3,
    Work: 4,
    RequestMeeting: 5,
    HoldMeeting: 6,
    Complete: 7,
    Discontinue: 7,
    RecordOutcome: 8,
}


@dataclass(frozen=True)
class Step:
    day: date
    client: int
    action: Action

    @property
    def order(self) -> tuple[date, int, int]:
        return (self.day, RANK[type(self.action)], self.client)


def week_opens(start: date, week: int) -> date:
    return start + timedelta(days=7 * (week - 1))


def steps_of(client: ClientProfile) -> list[Step]:
    """Everything that happens on one client's path, in no particular order."""
    start = client.start_date
    steps: list[Step] = []

    def at(day: date, action: Action) -> None:
        steps.append(Step(day, client.number, action))

    at(start, OpenPath())
    if client.assessment is not None:
        at(start, SelfAssess("baseline"))
    for week, (on_time, late) in client.answered.items():
        work_day = week_opens(start, week) + timedelta(days=1 + (client.number + week) % 3)
        help_of_week = frozenset(p for w, p in client.needs_help if w == week)
        if week == DIRECTION_WEEK and client.direction is not None:
            at(work_day, ChooseDirection(client.direction))
        if on_time:
            at(work_day, Work(week, on_time, help_of_week & on_time, late=False))
        if late:
            late_day = week_opens(start, week + 1) + timedelta(days=1 + client.number % 2)
            at(late_day, Work(week, late, help_of_week & late, late=True))
    works_until = WEEKS if client.last_active_week is None else client.last_active_week
    for meeting in client.meetings:
        request_day = week_opens(start, meeting.week) + timedelta(
            days=1 + (client.number + meeting.week) % 3
        )
        at(request_day, RequestMeeting(meeting.week))
        at(request_day + timedelta(days=1), HoldMeeting(meeting.week, meeting.held_first_time))
        if not meeting.held_first_time and meeting.week < works_until:
            again = request_day + timedelta(days=7)
            at(again, RequestMeeting(meeting.week))
            at(again + timedelta(days=1), HoldMeeting(meeting.week, held=True))
    if client.extra_meeting_week is not None:
        day = week_opens(start, client.extra_meeting_week) + timedelta(days=2)
        at(day, RequestMeeting(0))
        at(day + timedelta(days=1), HoldMeeting(0, held=True))
    if client.direction_change_week is not None and client.direction is not None:
        other = "education" if client.direction == "work" else "work"
        at(week_opens(start, client.direction_change_week), ChangeDirection(other))
    ended_on = _ending(client, at)
    for follow_up, outcome in client.outcomes.items():
        recorded_on = due_on(follow_up, ended_on) + timedelta(days=client.number % 4)
        began = max(start, recorded_on - timedelta(days=client.number % 5))
        at(recorded_on, RecordOutcome(follow_up, outcome, began))
    return steps


def _ending(client: ClientProfile, at: Callable[[date, Action], None]) -> date:
    """Adds the path's end (and the final self-assessment) and returns the day it ends."""
    start = client.start_date
    if client.discontinuation is not None:
        reason, week = client.discontinuation
        ended_on = week_opens(start, week) + timedelta(days=4)
        at(ended_on, Discontinue(reason))
        return ended_on
    friday_of_last_week = week_opens(start, WEEKS) + timedelta(days=4)
    if client.assessment is not None and client.assessment.final is not None:
        at(friday_of_last_week, SelfAssess("final"))
    at(friday_of_last_week, Complete())
    return friday_of_last_week


def timeline(spec: PopulationSpec, clients: list[ClientProfile]) -> list[Step]:
    """Every step of every client up to and including `spec.end`, in the order they happen."""
    steps = [step for client in clients for step in steps_of(client) if step.day <= spec.end]
    return sorted(steps, key=lambda step: step.order)
