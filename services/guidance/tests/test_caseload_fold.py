"""The caseload's fold (pure): the changes every topic makes end the same whatever their order."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from chassis.tests.factories import envelope as factory_envelope
from contracts.events.base import EventModel
from contracts.events.guidance import FeedbackGiven, GuidanceMeetingHeld
from contracts.events.tasks import TaskAnswered, WeekOpened
from services.guidance.adapters.caseload_fold import CaseloadRow, fold

PATH = uuid4()


def at(day: int) -> datetime:
    return datetime(2026, 9, day, 12, tzinfo=UTC)


def answered(
    week: int, answered_at: datetime, kind: str = "answer", pathway_id: UUID = PATH
) -> TaskAnswered:
    return TaskAnswered(
        pathway_id=pathway_id,
        client_ref="c-1",
        task_id=f"w{week:02d}-t1",
        week=week,
        answer_id=uuid4(),
        answer_length=10,
        kind=kind,
        late=False,
        answered_at=answered_at,
    )


EVENTS: list[EventModel] = [
    answered(1, at(3)),
    answered(2, at(10), kind="needs_help"),
    answered(2, at(11)),
    answered(1, at(4)),
    WeekOpened(pathway_id=PATH, client_ref="c-1", week=3, opened_on=date(2026, 9, 14), early=False),
    WeekOpened(pathway_id=PATH, client_ref="c-1", week=2, opened_on=date(2026, 9, 7), early=False),
    GuidanceMeetingHeld(pathway_id=PATH, meeting_id=uuid4(), held_at=at(8), task_ids=[]),
    FeedbackGiven(
        pathway_id=PATH,
        client_ref="c-1",
        answer_id=uuid4(),
        feedback_id=uuid4(),
        counselor_id="o-1",
        given_at=at(5),
    ),
]


def test_a_batch_adds_counts_joins_weeks_and_keeps_the_latest_times_in_any_order() -> None:
    expected = CaseloadRow(
        answers=3,
        help_requests=1,
        client_ref="c-1",
        last_activity_at=at(11),
        last_client_activity_at=at(11),
        answered_weeks=[1, 2],
        last_help_at=at(10),
        opened_week=3,
        last_meeting_held_at=at(8),
        last_feedback_at=at(5),
    )
    envelope = factory_envelope(str(PATH))  # these events' changes read only the events
    for order in itertools.islice(itertools.permutations(EVENTS), 0, None, 997):
        rows = fold({PATH: CaseloadRow()}, [(envelope, event) for event in order])
        assert rows == {PATH: expected}
