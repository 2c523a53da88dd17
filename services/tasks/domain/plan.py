"""The client's Plan: which weeks are open, what is answered, the direction chosen.

One Plan per path, its stream keyed by the pathway id. Decisions are plain functions that
return the events to record; `Plan.apply` folds events into state. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from chassis.errors import Conflict, DomainError, NotFound
from contracts.events.base import EventModel
from contracts.events.tasks import (
    DirectionChanged,
    DirectionChosen,
    PlanStarted,
    SelfAssessmentSubmitted,
    TaskAnswered,
    TaskCompleted,
    WeekOpened,
)
from services.tasks.domain.curriculum import DIRECTION_WEEK, WEEKS, Curriculum, Direction
from services.tasks.domain.schedule import (
    Pause,
    moved_opening_date,
    ongoing_pause,
    scheduled_week,
)

MAX_ANSWER_LENGTH = 4000


@dataclass
class Plan:
    pathway_id: UUID
    version: int = 0
    client_ref: str = ""
    curriculum_version: str = ""
    start_date: date | None = None
    # The latest week a WeekOpened event recorded (by the calendar or early).
    opened_week: int = 0
    # Pauses of the path, from enrolment's events; the handler fills them in on loading.
    pauses: list[Pause] = field(default_factory=list)
    # The day the path was completed or discontinued (enrolment's events), filled in likewise.
    ended_on: date | None = None
    answered: dict[str, UUID] = field(default_factory=dict)
    # Tasks where the client said "I couldn't do this / I need help": they may answer later.
    help_requested: dict[str, bool] = field(default_factory=dict)
    completed: set[str] = field(default_factory=set)
    direction: Direction | None = None
    # (instrument id, phase) → scores given.
    assessments: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    @classmethod
    def from_history(cls, pathway_id: UUID, version: int, events: Iterable[EventModel]) -> Plan:
        plan = cls(pathway_id)
        for event in events:
            plan.apply(event)
        plan.version = version
        return plan

    def apply(self, event: EventModel) -> None:
        match event:
            case PlanStarted():
                self.client_ref = event.client_ref
                self.curriculum_version = event.curriculum_version
                self.start_date = event.start_date
            case WeekOpened():
                self.opened_week = max(self.opened_week, event.week)
            case TaskAnswered():
                self.answered[event.task_id] = event.answer_id
                self.help_requested[event.task_id] = event.kind == "needs_help"
            case TaskCompleted():
                self.completed.add(event.task_id)
            case DirectionChosen():
                self.direction = event.direction
            case DirectionChanged():
                self.direction = event.to_direction
            case SelfAssessmentSubmitted():
                self.assessments[(event.instrument_id, event.phase)] = dict(event.scores)
        self.version += 1

    @property
    def started(self) -> bool:
        return self.start_date is not None

    def open_week(self, today: date) -> int:
        """The latest open week: by the calendar, or earlier if the counselor opened it.

        An ended path's calendar stopped on the day it ended.
        """
        assert self.start_date is not None
        day = self._calendar_day(today)
        return max(scheduled_week(self.start_date, day, self.pauses), self.opened_week)

    def is_late(self, week: int, today: date) -> bool:
        """A task is late once the week after it has opened by the calendar."""
        assert self.start_date is not None
        if week >= WEEKS:
            return False
        next_opens = moved_opening_date(self.start_date, week + 1, self.pauses)
        return next_opens is not None and self._calendar_day(today) >= next_opens

    @property
    def ended(self) -> bool:
        return self.ended_on is not None

    def _calendar_day(self, today: date) -> date:
        return today if self.ended_on is None else min(today, self.ended_on)

    @property
    def paused(self) -> bool:
        return ongoing_pause(self.pauses) is not None

    def next_calendar_opening(self) -> tuple[int, date] | None:
        """The next week still to be recorded as opened, and the day the calendar opens it.

        None when all twelve are open, a pause goes on (the day is not known yet) or the path
        has ended (no week opens any more).
        """
        assert self.start_date is not None
        week = self.opened_week + 1
        if week > WEEKS or self.ended:
            return None
        day = moved_opening_date(self.start_date, week, self.pauses)
        return None if day is None else (week, day)


def refuse_if_ended(plan: Plan) -> None:
    """A completed or discontinued path takes no more of the client's work (decision 0018)."""
    if plan.ended_on is not None:
        day = plan.ended_on
        # Written as people in Finland write a date, in either language.
        raise Conflict("tasks.path_ended", ended_on=f"{day.day}.{day.month}.{day.year}")


def start_plan(
    plan: Plan, client_ref: str, curriculum_version: str, start_date: date
) -> list[EventModel]:
    if plan.started:
        return []
    return [
        PlanStarted(
            pathway_id=plan.pathway_id,
            client_ref=client_ref,
            curriculum_version=curriculum_version,
            start_date=start_date,
        )
    ]


def answer_task(
    plan: Plan,
    curriculum: Curriculum,
    task_id: str,
    answer_id: UUID,
    text: str,
    kind: str,
    now: datetime,
    today: date,
    meeting_held: bool = False,
) -> list[EventModel]:
    if not plan.started:
        raise NotFound("error.not_found")
    refuse_if_ended(plan)
    task = curriculum.task(task_id)
    if task is None:
        raise NotFound("tasks.unknown_task")
    if task.week > plan.open_week(today):
        raise DomainError("tasks.week_not_open", week=task.week)
    if task.week > DIRECTION_WEEK and not task.belongs_to(plan.direction):
        raise DomainError("tasks.task_not_in_direction")
    stripped = text.strip()
    if kind == "answer" and not stripped:
        raise DomainError("tasks.answer_empty")
    if len(text) > MAX_ANSWER_LENGTH:
        raise DomainError("tasks.answer_too_long", limit=MAX_ANSWER_LENGTH, length=len(text))
    if task_id in plan.answered and not plan.help_requested.get(task_id):
        raise Conflict("tasks.already_answered")
    events: list[EventModel] = [
        TaskAnswered(
            pathway_id=plan.pathway_id,
            client_ref=plan.client_ref,
            task_id=task_id,
            week=task.week,
            answer_id=answer_id,
            answer_length=len(stripped),
            kind="needs_help" if kind == "needs_help" else "answer",
            late=plan.is_late(task.week, today),
            answered_at=now,
        )
    ]
    # A task that needs a guidance meeting completes only when the meeting is held.
    if kind == "answer" and (not task.requires_meeting or meeting_held):
        events.append(
            TaskCompleted(
                pathway_id=plan.pathway_id,
                client_ref=plan.client_ref,
                task_id=task_id,
                week=task.week,
            )
        )
    return events


def choose_direction(
    plan: Plan, direction: Direction, now: datetime, today: date
) -> list[EventModel]:
    if not plan.started:
        raise NotFound("error.not_found")
    refuse_if_ended(plan)
    if plan.direction is not None:
        raise Conflict("tasks.direction_already_chosen")
    if plan.open_week(today) < DIRECTION_WEEK:
        raise DomainError("tasks.direction_not_yet", week=DIRECTION_WEEK)
    return [
        DirectionChosen(
            pathway_id=plan.pathway_id,
            client_ref=plan.client_ref,
            direction=direction,
            week=DIRECTION_WEEK,
            chosen_at=now,
        )
    ]


def open_next_week(plan: Plan, today: date) -> list[EventModel]:
    """The counselor opens the next week ahead of the calendar."""
    if not plan.started:
        raise NotFound("error.not_found")
    refuse_if_ended(plan)
    week = plan.open_week(today) + 1
    if week > WEEKS:
        raise DomainError("tasks.all_weeks_open")
    # Weeks the calendar opened but the scheduler has not recorded yet get their event first,
    # so that every week has exactly one WeekOpened (the county's reminders hang on them).
    return [
        *open_due_weeks(plan, today),
        WeekOpened(
            pathway_id=plan.pathway_id,
            client_ref=plan.client_ref,
            week=week,
            opened_on=today,
            early=True,
        ),
    ]


def open_due_weeks(plan: Plan, today: date) -> list[EventModel]:
    """The calendar's openings that are due and not yet recorded, one WeekOpened each.

    An ended path opens none: the weeks it did not reach stay closed.
    """
    if not plan.started or plan.ended:
        return []
    assert plan.start_date is not None
    due = scheduled_week(plan.start_date, today, plan.pauses)
    events: list[EventModel] = []
    for week in range(plan.opened_week + 1, due + 1):
        opened_on = moved_opening_date(plan.start_date, week, plan.pauses) or today
        events.append(
            WeekOpened(
                pathway_id=plan.pathway_id,
                client_ref=plan.client_ref,
                week=week,
                opened_on=opened_on,
                early=False,
            )
        )
    return events


def change_direction(
    plan: Plan, direction: Direction, counselor_id: str, now: datetime
) -> list[EventModel]:
    """A later change of direction, agreed with the counselor (who records it)."""
    if not plan.started:
        raise NotFound("error.not_found")
    refuse_if_ended(plan)
    if plan.direction is None:
        raise DomainError("tasks.direction_not_chosen")
    if plan.direction == direction:
        raise Conflict("tasks.direction_unchanged")
    return [
        DirectionChanged(
            pathway_id=plan.pathway_id,
            client_ref=plan.client_ref,
            from_direction=plan.direction,
            to_direction=direction,
            changed_at=now,
            agreed_with_counselor_id=counselor_id,
        )
    ]


def complete_after_meeting(
    plan: Plan, curriculum: Curriculum, task_ids: list[str]
) -> list[EventModel]:
    """The meeting was held: its answered, meeting-required tasks are complete now."""
    events: list[EventModel] = []
    for task_id in task_ids:
        task = curriculum.task(task_id)
        answered = task_id in plan.answered and not plan.help_requested.get(task_id)
        if task and task.requires_meeting and answered and task_id not in plan.completed:
            events.append(
                TaskCompleted(
                    pathway_id=plan.pathway_id,
                    client_ref=plan.client_ref,
                    task_id=task_id,
                    week=task.week,
                )
            )
    return events
