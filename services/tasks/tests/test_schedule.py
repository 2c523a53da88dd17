"""The calendar with pauses, the calendar's WeekOpened events, and a change of direction."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from chassis.errors import Conflict, DomainError
from contracts.events.base import EventModel
from contracts.events.tasks import DirectionChanged, WeekOpened
from services.tasks.domain.plan import (
    change_direction,
    choose_direction,
    open_due_weeks,
)
from services.tasks.domain.schedule import (
    Pause,
    moved_opening_date,
    scheduled_week,
    week_opening_date,
)
from services.tasks.tests.plans import NOW, START, apply_all, started_plan


def weeks_of(events: list[EventModel]) -> list[int]:
    return [e.week for e in events if isinstance(e, WeekOpened)]


def test_a_two_week_pause_moves_every_later_opening_by_two_weeks() -> None:
    pauses = [Pause(date(2026, 12, 10), date(2026, 12, 24))]  # inside week 2
    assert moved_opening_date(START, 2, pauses) == week_opening_date(START, 2)
    for week in range(3, 13):
        assert moved_opening_date(START, week, pauses) == week_opening_date(
            START, week
        ) + timedelta(days=14)


def test_while_a_pause_goes_on_no_week_opens_by_the_calendar() -> None:
    pauses = [Pause(date(2026, 12, 10))]
    assert moved_opening_date(START, 3, pauses) is None
    assert scheduled_week(START, date(2027, 3, 1), pauses) == 2


def test_opening_days_and_the_scheduled_week_agree_day_by_day() -> None:
    # Several pauses, one before the start and two overlapping weeks: on the day a week
    # opens, the scheduled week reaches it, and never a day earlier.
    pauses = [
        Pause(date(2026, 11, 20), date(2026, 12, 2)),
        Pause(date(2026, 12, 15), date(2026, 12, 18)),
        Pause(date(2027, 1, 5), date(2027, 1, 26)),
    ]
    for week in range(2, 13):
        opens = moved_opening_date(START, week, pauses)
        assert opens is not None
        assert scheduled_week(START, opens, pauses) >= week
        assert scheduled_week(START, opens - timedelta(days=1), pauses) < week


def test_the_calendar_records_each_week_once_and_catches_up_after_downtime() -> None:
    plan = started_plan()
    first = open_due_weeks(plan, START)
    assert weeks_of(first) == [1]
    apply_all(plan, first)
    assert open_due_weeks(plan, START + timedelta(days=6)) == []
    # The scheduler was down for three weeks: each missed week gets its own event, dated
    # the day it opened by the calendar.
    late = open_due_weeks(plan, START + timedelta(days=22))
    assert weeks_of(late) == [2, 3, 4]
    assert [e.opened_on for e in late if isinstance(e, WeekOpened)] == [
        week_opening_date(START, w) for w in (2, 3, 4)
    ]
    assert not any(e.early for e in late if isinstance(e, WeekOpened))


def test_a_paused_plan_opens_nothing_new_and_is_not_late() -> None:
    plan = started_plan()
    apply_all(plan, open_due_weeks(plan, START))
    plan.pauses = [Pause(START + timedelta(days=3))]
    long_after = START + timedelta(days=60)
    assert open_due_weeks(plan, long_after) == []
    assert plan.next_calendar_opening() is None
    assert not plan.is_late(1, long_after)
    plan.pauses = [Pause(START + timedelta(days=3), START + timedelta(days=10))]
    assert plan.next_calendar_opening() == (2, START + timedelta(days=14))


def test_a_change_of_direction_needs_a_chosen_one_and_a_different_one() -> None:
    plan = started_plan()
    with pytest.raises(DomainError) as not_chosen:
        change_direction(plan, "education", "staff-1", NOW)
    assert not_chosen.value.code == "tasks.direction_not_chosen"
    apply_all(plan, choose_direction(plan, "work", NOW, week_opening_date(START, 5)))
    with pytest.raises(Conflict):
        change_direction(plan, "work", "staff-1", NOW)
    events = change_direction(plan, "education", "staff-1", NOW)
    assert isinstance(events[0], DirectionChanged)
    assert (events[0].from_direction, events[0].to_direction) == ("work", "education")
    assert events[0].agreed_with_counselor_id == "staff-1"
    apply_all(plan, events)
    assert plan.direction == "education"
