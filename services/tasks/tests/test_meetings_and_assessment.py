"""Meeting-required tasks and self-assessments, as pure rules."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from chassis.errors import Conflict, DomainError
from contracts.events.base import EventModel
from contracts.events.tasks import SelfAssessmentSubmitted, TaskAnswered, TaskCompleted
from services.tasks.adapters.instrument_files import PRIMARY_INSTRUMENT, load_instruments
from services.tasks.domain.plan import (
    Plan,
    answer_task,
    complete_after_meeting,
    open_next_week,
)
from services.tasks.domain.schedule import week_opening_date
from services.tasks.domain.self_assessment import change_by_area, submit_self_assessment
from services.tasks.tests.plans import CURRICULUM, NOW, START, apply_all, started_plan

MEETING_TASK = next(t for t in CURRICULUM.tasks if t.requires_meeting)


def plan_in_week(week: int) -> Plan:
    plan = started_plan()
    while plan.open_week(START) < week:
        apply_all(plan, open_next_week(plan, START))
    return plan


def apply(plan: Plan, events: list[EventModel]) -> None:
    for event in events:
        plan.apply(event)


def test_a_meeting_task_completes_when_the_meeting_is_held() -> None:
    plan = plan_in_week(MEETING_TASK.week)
    apply(
        plan,
        answer_task(
            plan, CURRICULUM, MEETING_TASK.task_id, uuid4(), "Vastaus", "answer", NOW, START
        ),
    )
    assert MEETING_TASK.task_id not in plan.completed
    events = complete_after_meeting(plan, CURRICULUM, [MEETING_TASK.task_id])
    assert [type(e) for e in events] == [TaskCompleted]
    apply(plan, events)
    assert complete_after_meeting(plan, CURRICULUM, [MEETING_TASK.task_id]) == []


def test_a_meeting_held_before_the_answer_completes_it_on_answering() -> None:
    plan = plan_in_week(MEETING_TASK.week)
    assert complete_after_meeting(plan, CURRICULUM, [MEETING_TASK.task_id]) == []
    events = answer_task(
        plan,
        CURRICULUM,
        MEETING_TASK.task_id,
        uuid4(),
        "Vastaus",
        "answer",
        NOW,
        START,
        meeting_held=True,
    )
    assert [type(e) for e in events] == [TaskAnswered, TaskCompleted]


def test_a_help_request_can_be_followed_by_a_real_answer() -> None:
    plan = plan_in_week(1)
    apply(plan, answer_task(plan, CURRICULUM, "w01-t1", uuid4(), "", "needs_help", NOW, START))
    events = answer_task(plan, CURRICULUM, "w01-t1", uuid4(), "Nyt onnistui", "answer", NOW, START)
    assert [type(e) for e in events] == [TaskAnswered, TaskCompleted]
    apply(plan, events)
    with pytest.raises(Conflict):
        answer_task(plan, CURRICULUM, "w01-t1", uuid4(), "Kolmas", "answer", NOW, START)


def full_scores(value: int) -> dict[str, int]:
    return dict.fromkeys(load_instruments()[PRIMARY_INSTRUMENT].item_ids, value)


def test_baseline_then_final_in_week_twelve_and_the_change() -> None:
    instrument = load_instruments()[PRIMARY_INSTRUMENT]
    plan = plan_in_week(1)
    apply(plan, submit_self_assessment(plan, instrument, "baseline", full_scores(1), NOW, START))
    with pytest.raises(Conflict):
        submit_self_assessment(plan, instrument, "baseline", full_scores(2), NOW, START)
    with pytest.raises(DomainError) as too_early:
        submit_self_assessment(plan, instrument, "final", full_scores(2), NOW, START)
    assert too_early.value.code == "tasks.assessment_final_not_yet"
    last_week = week_opening_date(START, 12)
    events = submit_self_assessment(plan, instrument, "final", full_scores(2), NOW, last_week)
    assert isinstance(events[0], SelfAssessmentSubmitted) and events[0].phase == "final"
    apply(plan, events)
    changes = change_by_area(
        instrument,
        plan.assessments[(PRIMARY_INSTRUMENT, "baseline")],
        plan.assessments[(PRIMARY_INSTRUMENT, "final")],
    )
    assert len(changes) == len(instrument.areas)
    assert all(change.change == pytest.approx(1.0) for change in changes)


def test_an_incomplete_or_out_of_scale_assessment_is_refused() -> None:
    instrument = load_instruments()[PRIMARY_INSTRUMENT]
    plan = plan_in_week(1)
    partial = full_scores(1)
    partial.pop(next(iter(partial)))
    with pytest.raises(DomainError) as incomplete:
        submit_self_assessment(plan, instrument, "baseline", partial, NOW, START)
    assert incomplete.value.params == {"count": 1}
    with pytest.raises(DomainError):
        submit_self_assessment(plan, instrument, "baseline", full_scores(4), NOW, START)


def test_instruments_are_data_and_one_is_shown_to_nobody_individually() -> None:
    instruments = load_instruments()
    primary = instruments[PRIMARY_INSTRUMENT]
    groups = {area.group for area in primary.areas}
    assert groups == {"career", "wellbeing", "digital"}
    assert len([a for a in primary.areas if a.group == "career"]) == 6
    assert len([a for a in primary.areas if a.group == "digital"]) == 5
    assert any(i.visibility == "group_only" for i in instruments.values())
    for instrument in instruments.values():
        for area in instrument.areas:
            for item in area.items:
                assert item.text["fi"] and item.text["sv"] and item.text["fi"] != item.text["sv"]


def test_week_twelve_is_reached_by_the_calendar() -> None:
    plan = plan_in_week(1)
    assert plan.open_week(START + timedelta(days=77)) == 12
