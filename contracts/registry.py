"""Which model reads which event, and how a decided event becomes an envelope.

`ALL_EVENTS` lists the current model of every event; `CURRENT` maps event_type to it.
`LEGACY_EVENTS` holds earlier versions, kept only so their schemas stay exportable: old stored
payloads are read by upcasting them (`contracts.upcasting`) and validating the current model.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from contracts.envelope import Actor, EventEnvelope, utc_now
from contracts.events import enrolment, guidance, tasks
from contracts.events.base import EventModel
from contracts.events.legacy import PathwayOpenedV1
from contracts.upcasting import upcast

ALL_EVENTS: tuple[type[EventModel], ...] = (
    enrolment.PathwayOpened,
    enrolment.CounselorAssigned,
    enrolment.PathwayPaused,
    enrolment.PathwayResumed,
    enrolment.PathwayCompleted,
    enrolment.PathwayDiscontinued,
    enrolment.ClientDataErased,
    tasks.PlanStarted,
    tasks.WeekOpened,
    tasks.TaskAnswered,
    tasks.TaskCompleted,
    tasks.DirectionChosen,
    tasks.DirectionChanged,
    tasks.SelfAssessmentSubmitted,
    guidance.GuidanceMeetingRequested,
    guidance.GuidanceMeetingScheduled,
    guidance.GuidanceMeetingHeld,
    guidance.GuidanceMeetingMissed,
    guidance.FeedbackGiven,
    guidance.OutcomeRecorded,
    guidance.MessageWaiting,
)
LEGACY_EVENTS: tuple[type[EventModel], ...] = (PathwayOpenedV1,)

CURRENT: dict[str, type[EventModel]] = {model.event_type: model for model in ALL_EVENTS}
if len(CURRENT) != len(ALL_EVENTS):  # pragma: no cover - a programming error at import
    raise RuntimeError("two current event models share one event_type")


class UnknownEvent(ValueError):
    """An event type this code does not know (a newer producer, or a typo)."""


def parse_payload(envelope: EventEnvelope) -> EventModel:
    """The envelope's payload as the current model of its type, upcast first.

    Raises `UnknownEvent` for an unknown event type or a version no upcaster chain lifts to
    the current one, and pydantic's `ValidationError` for a payload that does not validate.
    """
    model = CURRENT.get(envelope.event_type)
    if model is None:
        raise UnknownEvent(envelope.event_type)
    version, payload = upcast(envelope.event_type, envelope.schema_version, envelope.payload)
    if version != model.schema_version:
        raise UnknownEvent(
            f"{envelope.event_type} v{envelope.schema_version} cannot be read as "
            f"v{model.schema_version}"
        )
    return model.model_validate(payload)


def make_envelope(
    event: EventModel,
    *,
    stream_id: str,
    stream_version: int,
    tenant: str,
    correlation_id: UUID,
    causation_id: UUID | None,
    actor: Actor,
    occurred_at: datetime | None = None,
) -> EventEnvelope:
    """Wrap a decided event for the store; `occurred_at` defaults to now (UTC).

    The Kafka key is `stream_id`, which in Digipolku is the pathway id.
    """
    return EventEnvelope(
        event_type=event.event_type,
        schema_version=event.schema_version,
        stream_id=stream_id,
        stream_version=stream_version,
        occurred_at=occurred_at or utc_now(),
        tenant=tenant,
        correlation_id=correlation_id,
        causation_id=causation_id,
        actor=actor,
        payload=event.model_dump(mode="json"),
    )
