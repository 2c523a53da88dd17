"""Outcome follow-ups, as pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from chassis.errors import Conflict, DomainError, NotFound
from contracts.events.base import EventModel
from contracts.events.guidance import OutcomeRecorded
from services.guidance.domain.guidance_record import GuidanceRecord
from services.guidance.domain.outcomes import (
    FOLLOW_UPS,
    FollowUp,
    OutcomeKind,
    PathSpan,
    add_months,
    due_on,
    earliest_recording,
    follow_ups_due,
    record_outcome,
)

START = date(2026, 11, 30)
ENDED = date(2027, 2, 22)
NOW = datetime(2027, 2, 22, 10, tzinfo=UTC)
SPAN = PathSpan("c-1", START, ENDED)


def test_months_are_added_to_the_same_day_or_the_months_last() -> None:
    assert add_months(date(2027, 2, 22), 3) == date(2027, 5, 22)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2027, 10, 15), 3) == date(2028, 1, 15)


def test_follow_ups_fall_due_at_the_end_and_three_and_six_months_after() -> None:
    assert due_on("end", ENDED) == ENDED
    assert due_on("3m", ENDED) == date(2027, 5, 22)
    assert due_on("6m", ENDED) == date(2027, 8, 22)
    assert earliest_recording("end", ENDED) == ENDED
    assert earliest_recording("3m", ENDED) == date(2027, 5, 8)
    assert earliest_recording("6m", ENDED) == date(2027, 8, 8)


def test_due_follow_ups_are_the_ones_whose_day_came_and_are_not_recorded() -> None:
    assert follow_ups_due(None, [], date(2030, 1, 1)) == []
    assert follow_ups_due(ENDED, [], ENDED) == ["end"]
    assert follow_ups_due(ENDED, ["end"], date(2027, 5, 21)) == []
    assert follow_ups_due(ENDED, ["end"], date(2027, 5, 22)) == ["3m"]
    assert follow_ups_due(ENDED, [], date(2027, 8, 22)) == ["end", "3m", "6m"]
    assert follow_ups_due(ENDED, ["end", "3m", "6m"], date(2028, 1, 1)) == []


def record(
    today: date,
    span: PathSpan = SPAN,
    *,
    follow_up: FollowUp = "end",
    outcome: OutcomeKind = "employed",
    outcome_date: date = ENDED,
) -> list[EventModel]:
    return record_outcome(
        GuidanceRecord(uuid4()), span, follow_up, outcome, outcome_date, today, NOW
    )


def test_an_end_outcome_of_an_ended_path_is_recorded() -> None:
    guidance = GuidanceRecord(uuid4())
    events = record_outcome(guidance, SPAN, "end", "work_trial", ENDED, ENDED, NOW)
    assert events == [
        OutcomeRecorded(
            pathway_id=guidance.pathway_id,
            client_ref="c-1",
            follow_up="end",
            outcome="work_trial",
            outcome_date=ENDED,
            recorded_at=NOW,
        )
    ]
    guidance.apply(events[0])
    assert guidance.outcomes["end"].outcome == "work_trial"


def test_one_outcome_per_follow_up() -> None:
    guidance = GuidanceRecord(uuid4())
    for event in record_outcome(guidance, SPAN, "end", "none", ENDED, ENDED, NOW):
        guidance.apply(event)
    with pytest.raises(Conflict) as refused:
        record_outcome(guidance, SPAN, "end", "employed", ENDED, ENDED, NOW)
    assert refused.value.code == "guidance.outcome_already_recorded"
    # Another follow-up is its own.
    assert record_outcome(guidance, SPAN, "3m", "employed", ENDED, date(2027, 5, 22), NOW)


@pytest.mark.parametrize("follow_up", FOLLOW_UPS)
def test_no_outcome_before_the_path_ended(follow_up: FollowUp) -> None:
    running = PathSpan("c-1", START, None)
    with pytest.raises(DomainError) as refused:
        record(date(2028, 1, 1), running, follow_up=follow_up, outcome_date=START)
    assert refused.value.code == "guidance.path_not_ended"


def test_later_follow_ups_wait_for_their_time_less_two_weeks() -> None:
    with pytest.raises(DomainError) as refused:
        record(date(2027, 5, 7), follow_up="3m")
    assert refused.value.code == "guidance.follow_up_too_early"
    assert refused.value.params == {"months": 3, "earliest": "8.5.2027"}
    assert record(date(2027, 5, 8), follow_up="3m")
    with pytest.raises(DomainError):
        record(date(2027, 8, 7), follow_up="6m")
    assert record(date(2027, 8, 8), follow_up="6m")


def test_an_outcome_never_dates_from_before_the_path_began() -> None:
    with pytest.raises(DomainError) as refused:
        record(ENDED, outcome_date=date(2026, 11, 29))
    assert refused.value.code == "guidance.outcome_before_start"
    assert refused.value.params == {"start": "30.11.2026"}
    assert record(ENDED, outcome_date=START)


def test_an_outcome_has_begun_by_the_time_it_is_recorded() -> None:
    with pytest.raises(DomainError) as refused:
        record(ENDED, outcome_date=date(2027, 2, 23))
    assert refused.value.code == "guidance.outcome_in_future"


def test_a_path_whose_opening_has_not_arrived_is_not_found() -> None:
    with pytest.raises(NotFound):
        record(ENDED, PathSpan(None, None, None))
