"""The caseload written a batch at a time gives the rows that one batch per event gives, through
the chassis Projector into a real PostgreSQL database: a fold that took a path's events out of
order (an assignment before the opening, a pause after the end) would differ."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from chassis.projector import Projection, Projector
from contracts.envelope import Actor, EventEnvelope
from contracts.events.base import EventModel
from contracts.events.enrolment import (
    ClientDataErased,
    CounselorAssigned,
    PathwayCompleted,
    PathwayDiscontinued,
    PathwayOpened,
    PathwayPaused,
    PathwayResumed,
    SuitabilityConfirmation,
)
from contracts.events.guidance import (
    FeedbackGiven,
    GuidanceMeetingHeld,
    GuidanceMeetingRequested,
    GuidanceMeetingScheduled,
    OutcomeRecorded,
)
from contracts.events.tasks import (
    DirectionChanged,
    DirectionChosen,
    PlanStarted,
    SelfAssessmentSubmitted,
    WeekOpened,
)
from contracts.registry import make_envelope
from contracts.topics import ENROLMENT_EVENTS, GUIDANCE_EVENTS, TASKS_EVENTS
from deploy.test_infrastructure import TestInfrastructure
from services.guidance.adapters.answers_projection import ANSWERS_SEEN
from services.guidance.adapters.caseload_projection import CASELOAD
from services.guidance.app import HERE as GUIDANCE
from services.guidance.tests.test_caseload_fold import answered

START = date(2026, 11, 30)
CONFIRMED = SuitabilityConfirmation(
    life_management=True,
    digital_skills=True,
    self_assessment_ability=True,
    strong_identification=True,
)
Delivery = list[tuple[str, EventEnvelope]]


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=UTC)


class Streams:
    """Envelopes of one path per topic, each topic's stream numbered in order."""

    def __init__(self, key: str) -> None:
        self.pathway_id = uuid5(NAMESPACE_URL, f"digipolku:test:caseload:{key}")
        self.client_ref = f"c-{key}"
        self._versions: dict[str, int] = {}

    def on(self, topic: str, event: EventModel, day: int) -> tuple[str, EventEnvelope]:
        version = self._versions[topic] = self._versions.get(topic, 0) + 1
        envelope = make_envelope(
            event,
            stream_id=f"{topic}:{self.pathway_id}",
            stream_version=version,
            tenant="kanta-hame",
            correlation_id=uuid4(),
            causation_id=None,
            actor=Actor(role="system", id="test"),
            occurred_at=at(day),
        )
        return topic, envelope


def enrolment(path: Streams, ending: str) -> Delivery:
    pathway_id = path.pathway_id
    events: list[tuple[EventModel, int]] = [
        (
            PathwayOpened(
                pathway_id=pathway_id,
                client_ref=path.client_ref,
                municipality="061",
                unit="ktt-forssa",
                cohort="2026-syksy",
                start_date=START,
                counselor_ids=["staff-1", "staff-2"],
                suitability_confirmed=CONFIRMED,
            ),
            1,
        ),
        (CounselorAssigned(pathway_id=pathway_id, counselor_id="staff-3", replaces="staff-1"), 2),
        (CounselorAssigned(pathway_id=pathway_id, counselor_id="staff-2"), 3),
        (PathwayPaused(pathway_id=pathway_id, paused_on=date(2026, 12, 7)), 7),
        (PathwayResumed(pathway_id=pathway_id, resumed_on=date(2026, 12, 14)), 14),
    ]
    if ending == "completed":
        events.append(
            (PathwayCompleted(pathway_id=pathway_id, completed_on=date(2026, 12, 28)), 28)
        )
    else:
        events.append(
            (
                PathwayDiscontinued(
                    pathway_id=pathway_id, discontinued_on=date(2026, 12, 21), reason="employed"
                ),
                21,
            )
        )
        erased = ClientDataErased(
            pathway_id=pathway_id, client_ref=path.client_ref, erased_at=at(29)
        )
        events.append((erased, 29))
    return [path.on(ENROLMENT_EVENTS, event, day) for event, day in events]


def tasks(path: Streams) -> Delivery:
    pathway_id, client = path.pathway_id, path.client_ref
    events: list[tuple[EventModel, int]] = [
        (
            PlanStarted(
                pathway_id=pathway_id, client_ref=client, curriculum_version="1", start_date=START
            ),
            1,
        ),
        (
            WeekOpened(
                pathway_id=pathway_id, client_ref=client, week=1, opened_on=START, early=False
            ),
            1,
        ),
        (answered(1, at(2), pathway_id=pathway_id), 2),
        (
            SelfAssessmentSubmitted(
                pathway_id=pathway_id,
                client_ref=client,
                instrument_id="digipolku-urataidot",
                instrument_version="1",
                phase="baseline",
                scores={"itsetuntemus-1": 2},
                submitted_at=at(3),
            ),
            3,
        ),
        (
            WeekOpened(
                pathway_id=pathway_id,
                client_ref=client,
                week=2,
                opened_on=START + timedelta(days=7),
                early=False,
            ),
            7,
        ),
        (answered(2, at(8), "needs_help", pathway_id), 8),
        (
            DirectionChosen(
                pathway_id=pathway_id, client_ref=client, direction="work", week=2, chosen_at=at(9)
            ),
            9,
        ),
        (answered(2, at(10), pathway_id=pathway_id), 10),
        (
            DirectionChanged(
                pathway_id=pathway_id,
                client_ref=client,
                from_direction="work",
                to_direction="education",
                changed_at=at(11),
                agreed_with_counselor_id="staff-2",
            ),
            11,
        ),
    ]
    return [path.on(TASKS_EVENTS, event, day) for event, day in events]


def guidance(path: Streams) -> Delivery:
    pathway_id, client = path.pathway_id, path.client_ref
    first, second = uuid4(), uuid4()

    def requested(meeting_id: UUID, day: int) -> GuidanceMeetingRequested:
        return GuidanceMeetingRequested(
            pathway_id=pathway_id,
            meeting_id=meeting_id,
            requested_by="client",
            requested_at=at(day),
        )

    def outcome(follow_up: str) -> OutcomeRecorded:
        return OutcomeRecorded.model_validate(
            {
                "pathway_id": pathway_id,
                "client_ref": client,
                "follow_up": follow_up,
                "outcome": "studies",
                "outcome_date": "2027-01-15",
                "recorded_at": at(30).isoformat(),
            }
        )

    events: list[tuple[EventModel, int]] = [
        (requested(first, 4), 4),
        (requested(second, 5), 5),
        (
            GuidanceMeetingScheduled(
                pathway_id=pathway_id, meeting_id=first, starts_at=at(6), mode="phone", task_ids=[]
            ),
            5,
        ),
        (
            GuidanceMeetingHeld(
                pathway_id=pathway_id, meeting_id=first, held_at=at(6), task_ids=[]
            ),
            6,
        ),
        (
            FeedbackGiven(
                pathway_id=pathway_id,
                client_ref=client,
                answer_id=uuid4(),
                feedback_id=uuid4(),
                counselor_id="staff-2",
                given_at=at(9),
            ),
            9,
        ),
        (outcome("end"), 30),
        (outcome("3m"), 30),
    ]
    return [path.on(GUIDANCE_EVENTS, event, day) for event, day in events]


def interleaved(*topics: Delivery) -> Delivery:
    """The topics' events taken in turn (each topic's own order kept), as a consumer of
    several partitions may see them."""
    merged: Delivery = []
    for n in range(max(len(topic) for topic in topics)):
        merged += [topic[n] for topic in topics if n < len(topic)]
    return merged


def history() -> Delivery:
    """Two paths' events of every caseload type from all three topics. The second path's
    tasks and guidance events come before its opening."""
    one, two = Streams("one"), Streams("two")
    return interleaved(
        enrolment(one, "completed"),
        tasks(one),
        guidance(one),
        tasks(two),
        guidance(two),
        enrolment(two, "discontinued"),
    )


async def rows_after(
    infrastructure: TestInfrastructure,
    projection: Projection,
    query: str,
    batches: Sequence[Delivery],
) -> list[dict[str, object]]:
    """The rows `query` reads (but the time they last changed) after the batches in turn."""
    async with infrastructure.migrated_pool("guidance", GUIDANCE / "migrations") as pool:
        projector = Projector(pool, projection)
        for batch in batches:
            await projector.handle_batch(batch)
        rows = await pool.fetch(query)
    return [{k: v for k, v in row.items() if k != "updated_at"} for row in rows]


async def caseload_after(
    infrastructure: TestInfrastructure, batches: Sequence[Delivery]
) -> list[dict[str, object]]:
    return await rows_after(
        infrastructure, CASELOAD, "SELECT * FROM caseload ORDER BY pathway_id", batches
    )


async def test_the_answers_seen_are_the_same_in_one_batch_and_born_erased_after_erasure(
    infrastructure: TestInfrastructure,
) -> None:
    events = history()
    query = "SELECT * FROM answers_seen ORDER BY answer_id"
    one_by_one = await rows_after(infrastructure, ANSWERS_SEEN, query, [[e] for e in events])
    # The erasure before every answer, and after them (each stream's own order kept).
    erasure_first = sorted(events, key=lambda item: item[0] != ENROLMENT_EVENTS)
    erasure_last = sorted(events, key=lambda item: item[0] == ENROLMENT_EVENTS)
    for batch in (events, erasure_first, erasure_last):
        assert await rows_after(infrastructure, ANSWERS_SEEN, query, [batch]) == one_by_one
    two = Streams("two").pathway_id
    assert {(row["pathway_id"], row["erased"]) for row in one_by_one} == {
        (Streams("one").pathway_id, False),
        (two, True),
    }
    assert len(one_by_one) == 6


async def test_a_batch_of_every_event_type_gives_the_rows_of_one_batch_per_event(
    infrastructure: TestInfrastructure,
) -> None:
    events = history()
    assert {envelope.event_type for _, envelope in events} == set(CASELOAD.handlers)
    one_by_one = await caseload_after(infrastructure, [[item] for item in events])
    half = len(events) // 2
    assert await caseload_after(infrastructure, [events]) == one_by_one
    # Half the rows stored first: the rest of the batch folds over the stored rows.
    assert await caseload_after(infrastructure, [events[:half], events[half:]]) == one_by_one
    completed, discontinued = sorted(one_by_one, key=lambda row: str(row["status"]))
    assert completed["counselor_ids"] == ["staff-3", "staff-2"]
    assert completed["status"] == "completed" and completed["ended_on"] == date(2026, 12, 28)
    assert completed["resumed_on"] == date(2026, 12, 14)
    assert completed["direction"] == "education" and completed["curriculum_version"] == "1"
    assert (completed["answers"], completed["help_requests"]) == (2, 1)
    assert completed["answered_weeks"] == [1, 2] and completed["opened_week"] == 2
    assert completed["last_activity_at"] == at(11)
    assert completed["last_client_activity_at"] == at(10)
    assert completed["last_help_at"] == at(8)
    assert len(completed["meetings_waiting"]) == 1  # type: ignore[arg-type]
    assert completed["last_meeting_held_at"] == at(6) and completed["last_feedback_at"] == at(9)
    assert completed["follow_ups_recorded"] == ["3m", "end"]
    assert completed["erased_at"] is None
    assert discontinued["status"] == "discontinued" and discontinued["erased_at"] == at(29)
    assert discontinued["client_ref"] == "c-two" and discontinued["municipality"] == "061"
