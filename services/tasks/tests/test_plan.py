"""The Plan's rules, as pure functions (no I/O)."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from chassis.errors import Conflict, DomainError, NotFound
from contracts.events.tasks import DirectionChosen, TaskAnswered, TaskCompleted, WeekOpened
from services.tasks.domain.plan import (
    MAX_ANSWER_LENGTH,
    Plan,
    answer_task,
    choose_direction,
    open_next_week,
)
from services.tasks.domain.schedule import scheduled_week, week_opening_date
from services.tasks.tests.plans import CURRICULUM, NOW, START, apply_all, started_plan


def test_week_n_opens_on_start_plus_seven_times_n_minus_one() -> None:
    assert week_opening_date(START, 1) == START
    assert week_opening_date(START, 5) == START + timedelta(days=28)
    assert scheduled_week(START, START - timedelta(days=1)) == 0
    assert scheduled_week(START, START + timedelta(days=6)) == 1
    assert scheduled_week(START, START + timedelta(days=7)) == 2
    assert scheduled_week(START, START + timedelta(days=400)) == 12


def test_answering_a_plain_task_completes_it() -> None:
    plan = started_plan()
    events = answer_task(plan, CURRICULUM, "w01-t1", uuid4(), " Vastaus ", "answer", NOW, START)
    assert [type(e) for e in events] == [TaskAnswered, TaskCompleted]
    answered = events[0]
    assert isinstance(answered, TaskAnswered)
    assert answered.answer_length == len("Vastaus") and not answered.late


def test_a_meeting_task_waits_for_the_meeting() -> None:
    plan = started_plan()
    apply_all(plan, open_next_week(plan, START))
    meeting_task = next(t for t in CURRICULUM.tasks if t.requires_meeting)
    events = answer_task(
        plan, CURRICULUM, meeting_task.task_id, uuid4(), "Vastaus", "answer", NOW, START
    )
    assert [type(e) for e in events] == [TaskAnswered]


def test_asking_for_help_is_not_a_failure_and_not_a_completion() -> None:
    plan = started_plan()
    events = answer_task(plan, CURRICULUM, "w01-t1", uuid4(), "", "needs_help", NOW, START)
    assert len(events) == 1
    assert isinstance(events[0], TaskAnswered) and events[0].kind == "needs_help"


def test_late_answers_are_marked_late_but_accepted() -> None:
    plan = started_plan()
    late_day = START + timedelta(days=20)
    events = answer_task(plan, CURRICULUM, "w01-t1", uuid4(), "Myöhässä", "answer", NOW, late_day)
    assert isinstance(events[0], TaskAnswered) and events[0].late


@pytest.mark.parametrize(
    ("text", "code"),
    [("   ", "tasks.answer_empty"), ("x" * (MAX_ANSWER_LENGTH + 1), "tasks.answer_too_long")],
)
def test_empty_and_overlong_answers_are_refused(text: str, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        answer_task(started_plan(), CURRICULUM, "w01-t1", uuid4(), text, "answer", NOW, START)
    assert refused.value.code == code


def test_a_week_not_yet_open_cannot_be_answered() -> None:
    with pytest.raises(DomainError) as refused:
        answer_task(started_plan(), CURRICULUM, "w02-t1", uuid4(), "Aikaisin", "answer", NOW, START)
    assert refused.value.code == "tasks.week_not_open"


def test_a_task_is_answered_once() -> None:
    plan = started_plan()
    apply_all(plan, answer_task(plan, CURRICULUM, "w01-t1", uuid4(), "A", "answer", NOW, START))
    with pytest.raises(Conflict):
        answer_task(plan, CURRICULUM, "w01-t1", uuid4(), "B", "answer", NOW, START)


def test_unknown_task_and_unstarted_plan_are_not_found() -> None:
    with pytest.raises(NotFound):
        answer_task(started_plan(), CURRICULUM, "w99-t9", uuid4(), "A", "answer", NOW, START)
    with pytest.raises(NotFound):
        answer_task(Plan(uuid4()), CURRICULUM, "w01-t1", uuid4(), "A", "answer", NOW, START)


def test_direction_is_chosen_once_and_not_before_week_five() -> None:
    plan = started_plan()
    with pytest.raises(DomainError) as too_early:
        choose_direction(plan, "work", NOW, START)
    assert too_early.value.code == "tasks.direction_not_yet"
    week_five = week_opening_date(START, 5)
    events = choose_direction(plan, "education", NOW, week_five)
    assert isinstance(events[0], DirectionChosen) and events[0].direction == "education"
    apply_all(plan, events)
    with pytest.raises(Conflict):
        choose_direction(plan, "work", NOW, week_five)


def test_after_the_choice_only_that_directions_tasks_can_be_answered() -> None:
    plan = started_plan()
    day = week_opening_date(START, 6)
    apply_all(plan, choose_direction(plan, "work", NOW, day))
    work = next(t for t in CURRICULUM.tasks if t.week == 6 and t.direction == "work")
    education = next(t for t in CURRICULUM.tasks if t.week == 6 and t.direction == "education")
    assert answer_task(plan, CURRICULUM, work.task_id, uuid4(), "Työ", "answer", NOW, day)
    with pytest.raises(DomainError) as refused:
        answer_task(plan, CURRICULUM, education.task_id, uuid4(), "Koulu", "answer", NOW, day)
    assert refused.value.code == "tasks.task_not_in_direction"


def test_the_counselor_opens_weeks_early_up_to_twelve() -> None:
    plan = started_plan()
    opened: list[tuple[int, bool]] = []
    for expected in range(2, 13):
        events = open_next_week(plan, START)
        last = events[-1]
        assert isinstance(last, WeekOpened) and last.week == expected and last.early
        opened += [(e.week, e.early) for e in events if isinstance(e, WeekOpened)]
        apply_all(plan, events)
    # Week 1 was due by the calendar and not yet recorded: it gets its own, non-early event.
    assert opened == [(1, False)] + [(week, True) for week in range(2, 13)]
    assert plan.open_week(START) == 12
    with pytest.raises(DomainError):
        open_next_week(plan, START)
