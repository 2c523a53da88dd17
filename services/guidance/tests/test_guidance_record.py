"""Meeting requests and feedback, as pure rules."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from chassis.errors import Conflict, DomainError, NotFound
from contracts.events.base import EventModel
from contracts.events.guidance import FeedbackGiven, GuidanceMeetingRequested
from services.guidance.domain.guidance_record import (
    MAX_FEEDBACK_LENGTH,
    GuidanceRecord,
    give_feedback,
    hold_meeting,
    request_meeting,
    schedule_meeting,
)

NOW = datetime(2026, 12, 8, 9, tzinfo=UTC)


def apply(record: GuidanceRecord, events: list[EventModel]) -> None:
    for event in events:
        record.apply(event)


def test_a_request_records_who_asked_and_about_which_task() -> None:
    record = GuidanceRecord(uuid4())
    meeting_id = uuid4()
    returned, events = request_meeting(record, meeting_id, "client", "w02-t2", NOW)
    assert returned == meeting_id
    assert events == [
        GuidanceMeetingRequested(
            pathway_id=record.pathway_id,
            meeting_id=meeting_id,
            requested_by="client",
            task_id="w02-t2",
            requested_at=NOW,
        )
    ]
    apply(record, events)
    assert record.meetings[meeting_id].state == "requested"
    assert record.meetings[meeting_id].task_ids == ["w02-t2"]


def test_asking_again_while_a_request_waits_points_at_it() -> None:
    record = GuidanceRecord(uuid4())
    first, events = request_meeting(record, uuid4(), "client", "w02-t2", NOW)
    apply(record, events)
    # A double click, or the counselor asking about the same task: the same meeting.
    assert request_meeting(record, uuid4(), "client", "w02-t2", NOW) == (first, [])
    assert request_meeting(record, uuid4(), "counselor", "w02-t2", NOW) == (first, [])
    # Another task, or no task at all, is a request of its own.
    other, events = request_meeting(record, uuid4(), "client", "w03-t1", NOW)
    assert other != first and len(events) == 1
    general, events = request_meeting(record, uuid4(), "client", None, NOW)
    assert general != first and len(events) == 1
    apply(record, events)
    assert request_meeting(record, uuid4(), "counselor", None, NOW) == (general, [])


def test_once_the_meeting_has_a_time_a_new_request_is_a_new_meeting() -> None:
    record = GuidanceRecord(uuid4())
    first, events = request_meeting(record, uuid4(), "client", "w02-t2", NOW)
    apply(record, events)
    apply(record, schedule_meeting(record, first, NOW, "video", ["w02-t2"]))
    assert record.meetings[first].mode == "video"
    second, events = request_meeting(record, uuid4(), "client", "w02-t2", NOW)
    assert second != first and len(events) == 1
    apply(record, hold_meeting(record, first, NOW))
    assert record.meetings[first].state == "held"


def test_feedback_is_recorded_without_its_text() -> None:
    record = GuidanceRecord(uuid4())
    feedback_id, answer_id = uuid4(), uuid4()
    events = give_feedback(
        record,
        feedback_id,
        answer_id,
        "c-1",
        "staff-1",
        "  Hienoa pohdintaa!  ",
        NOW,
        answer_known=True,
    )
    assert events == [
        FeedbackGiven(
            pathway_id=record.pathway_id,
            client_ref="c-1",
            answer_id=answer_id,
            feedback_id=feedback_id,
            counselor_id="staff-1",
            given_at=NOW,
        )
    ]
    assert "Hienoa" not in events[0].model_dump_json()


def test_feedback_needs_a_known_answer() -> None:
    record = GuidanceRecord(uuid4())
    with pytest.raises(NotFound) as refused:
        give_feedback(record, uuid4(), uuid4(), "c-1", "s", "Hyvä", NOW, answer_known=False)
    assert refused.value.code == "guidance.unknown_answer"
    # No client known yet means no answer of the path has arrived either.
    with pytest.raises(NotFound):
        give_feedback(record, uuid4(), uuid4(), None, "s", "Hyvä", NOW, answer_known=True)


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_feedback_is_refused(text: str) -> None:
    with pytest.raises(DomainError) as refused:
        give_feedback(
            GuidanceRecord(uuid4()), uuid4(), uuid4(), "c", "s", text, NOW, answer_known=True
        )
    assert refused.value.code == "guidance.feedback_empty"


def test_feedback_is_at_most_the_limit_after_stripping() -> None:
    record = GuidanceRecord(uuid4())
    fits = " " + "a" * MAX_FEEDBACK_LENGTH + " "
    assert give_feedback(record, uuid4(), uuid4(), "c", "s", fits, NOW, answer_known=True)
    too_long = "a" * (MAX_FEEDBACK_LENGTH + 1)
    with pytest.raises(DomainError) as refused:
        give_feedback(record, uuid4(), uuid4(), "c", "s", too_long, NOW, answer_known=True)
    assert refused.value.code == "guidance.feedback_too_long"
    assert refused.value.params == {
        "limit": MAX_FEEDBACK_LENGTH,
        "length": MAX_FEEDBACK_LENGTH + 1,
    }


def test_feedback_on_an_erased_answer_is_refused_as_erased() -> None:
    with pytest.raises(Conflict) as refused:
        give_feedback(
            GuidanceRecord(uuid4()),
            uuid4(),
            uuid4(),
            "c",
            "s",
            "Hyvä",
            NOW,
            answer_known=True,
            answer_erased=True,
        )
    assert refused.value.code == "guidance.answer_erased"
