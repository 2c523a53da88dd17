"""Which internal events become public ones, and what of them is kept (pure).

Only a path's steps, with its place (municipality, cohort) and coded facts; never client_ref,
identity or free text. The path id is replaced by a keyed hash, so the public cannot join
public events to anything internal.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from contracts.events.enrolment import PathwayCompleted, PathwayDiscontinued, PathwayOpened
from contracts.events.guidance import OutcomeRecorded
from contracts.events.tasks import DirectionChanged, DirectionChosen, WeekOpened
from contracts.public import PublicPathEvent

# The internal events the public gets a form of (public_event returns None for the rest).
PUBLIC_SOURCES: tuple[type[EventModel], ...] = (
    PathwayOpened,
    WeekOpened,
    DirectionChosen,
    DirectionChanged,
    PathwayCompleted,
    PathwayDiscontinued,
    OutcomeRecorded,
)


@dataclass(frozen=True)
class Place:
    """Where a path belongs, from reporting's read model (the opening event has it itself)."""

    municipality: str | None
    cohort: str | None


def path_ref(key: bytes, tenant: str, pathway_id: UUID) -> str:
    """A stable pseudonym of the path within its tenant; without the key it reveals nothing."""
    digest = hmac.new(key, f"{tenant}:{pathway_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:16]


def public_event(
    envelope: EventEnvelope, event: EventModel, place: Place | None, key: bytes
) -> PublicPathEvent | None:
    """The public form of an internal event, or None when the public gets nothing of it."""
    pathway_id = getattr(event, "pathway_id", None)
    if not isinstance(pathway_id, UUID):
        return None
    base = {
        # The same internal event always gives the same public id (redelivery is harmless).
        "event_id": uuid5(NAMESPACE_URL, f"digipolku-public:{envelope.event_id}"),
        "occurred_at": envelope.occurred_at,
        "tenant": envelope.tenant,
        "path_ref": path_ref(key, envelope.tenant, pathway_id),
        "municipality": place.municipality if place else None,
        "cohort": place.cohort if place else None,
    }
    match event:
        case PathwayOpened():
            base.update(municipality=event.municipality, cohort=event.cohort)
            return PublicPathEvent(event_type="path_opened", on=event.start_date, **base)
        case WeekOpened():
            return PublicPathEvent(
                event_type="week_opened", week=event.week, on=event.opened_on, **base
            )
        case DirectionChosen():
            return PublicPathEvent(event_type="direction_chosen", direction=event.direction, **base)
        case DirectionChanged():
            return PublicPathEvent(
                event_type="direction_changed", direction=event.to_direction, **base
            )
        case PathwayCompleted():
            return PublicPathEvent(event_type="path_completed", on=event.completed_on, **base)
        case PathwayDiscontinued():
            return PublicPathEvent(
                event_type="path_discontinued",
                reason=event.reason,
                on=event.discontinued_on,
                **base,
            )
        case OutcomeRecorded():
            return PublicPathEvent(
                event_type="outcome_recorded",
                follow_up=event.follow_up,
                outcome=event.outcome,
                on=event.outcome_date,
                **base,
            )
    return None
