"""The caseload's week and attention flags, as pure rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from services.guidance.domain.caseload import (
    ENDED,
    CaseloadFacts,
    PathStatus,
    attention,
    current_week,
    inactive,
    meeting_needed,
    weeks_without_answers,
)

START = date(2026, 11, 30)
TODAY = date(2026, 12, 3)
FRESH = CaseloadFacts(
    status="active",
    start_date=START,
    opened_week=1,
    answered_weeks=frozenset(),
    feedback_waiting=0,
    meetings_waiting=0,
    last_help_at=None,
    last_meeting_held_at=None,
    last_client_activity_on=None,
    resumed_on=None,
    ended_on=None,
    follow_ups_recorded=frozenset(),
)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=UTC)


def test_current_week_is_the_latest_recorded_opening_within_twelve() -> None:
    assert current_week(0) == 0
    assert current_week(5) == 5
    assert current_week(13) == 12


def test_a_fresh_path_is_on_track() -> None:
    seen = attention(FRESH, TODAY)
    assert seen.flags == ["on_track"]
    assert seen.behind == 0 and seen.follow_ups_due == []
    assert seen.weight == 0


def test_behind_counts_past_weeks_without_a_single_answer() -> None:
    # The current week is never counted: its answers are not late yet.
    assert weeks_without_answers(1, []) == 0
    assert weeks_without_answers(4, []) == 3
    assert weeks_without_answers(4, [1, 3]) == 1
    assert weeks_without_answers(4, [4]) == 3
    assert weeks_without_answers(0, []) == 0
    facts = replace(FRESH, opened_week=3, answered_weeks=frozenset({2}))
    seen = attention(facts, TODAY)
    assert seen.behind == 1 and "behind" in seen.flags


def test_feedback_waiting_is_flagged_while_the_path_runs() -> None:
    facts = replace(FRESH, feedback_waiting=2)
    assert attention(facts, TODAY).flags == ["feedback_waiting"]
    assert attention(replace(facts, status="paused"), TODAY).flags == ["feedback_waiting"]
    assert "feedback_waiting" not in attention(replace(facts, status="completed"), TODAY).flags


def test_a_meeting_is_needed_for_a_request_without_a_time() -> None:
    assert not meeting_needed(FRESH)
    assert meeting_needed(replace(FRESH, meetings_waiting=1))


def test_a_meeting_is_needed_for_help_asked_since_the_last_meeting_held() -> None:
    asked = replace(FRESH, last_help_at=at(2))
    assert meeting_needed(asked)
    assert not meeting_needed(replace(asked, last_meeting_held_at=at(3)))
    assert meeting_needed(replace(asked, last_meeting_held_at=at(1)))
    assert attention(asked, TODAY).flags == ["meeting_needed"]


def test_inactive_after_a_week_without_anything_from_the_client() -> None:
    assert not inactive(FRESH, date(2026, 12, 6))
    assert inactive(FRESH, date(2026, 12, 7))  # a week after the start, nothing done
    done = replace(FRESH, last_client_activity_on=date(2026, 12, 4))
    assert not inactive(done, date(2026, 12, 10))
    assert inactive(done, date(2026, 12, 11))
    # A pause stops the clock: the week is counted again from the day it went on.
    resumed = replace(done, resumed_on=date(2026, 12, 20))
    assert not inactive(resumed, date(2026, 12, 26))
    assert inactive(resumed, date(2026, 12, 27))
    assert not inactive(replace(done, status="paused"), date(2027, 1, 31))
    # A path that starts later is not inactive before it began.
    assert not inactive(replace(FRESH, start_date=date(2027, 1, 4)), TODAY)
    assert attention(done, date(2026, 12, 11)).flags == ["inactive_7_days"]


def test_the_clients_pace_is_not_flagged_while_paused() -> None:
    paused = replace(FRESH, status="paused", opened_week=4)
    seen = attention(paused, date(2027, 2, 1))
    assert seen.flags == ["on_track"]
    assert seen.behind == 3  # still told, only not flagged


@pytest.mark.parametrize("status", sorted(ENDED))
def test_an_ended_path_asks_only_for_its_follow_ups(status: PathStatus) -> None:
    ended = replace(
        FRESH,
        status=status,
        opened_week=12,
        feedback_waiting=1,
        meetings_waiting=1,
        ended_on=date(2027, 2, 22),
    )
    seen = attention(ended, date(2027, 2, 22))
    assert seen.flags == ["follow_up_due"]
    assert seen.follow_ups_due == ["end"]
    later = attention(replace(ended, follow_ups_recorded=frozenset({"end"})), date(2027, 5, 22))
    assert later.follow_ups_due == ["3m"]
    all_done = replace(ended, follow_ups_recorded=frozenset({"end", "3m", "6m"}))
    assert attention(all_done, date(2027, 12, 1)).flags == ["on_track"]


def test_flags_come_in_a_fixed_order_and_weigh_by_count() -> None:
    busy = replace(
        FRESH,
        opened_week=3,
        feedback_waiting=1,
        meetings_waiting=1,
        last_client_activity_on=date(2026, 12, 1),
    )
    seen = attention(busy, date(2026, 12, 14))
    assert seen.flags == ["behind", "feedback_waiting", "meeting_needed", "inactive_7_days"]
    assert seen.weight == 4
