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

from chassis.versioned_keys import VersionedKey
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from contracts.events.enrolment import PathwayCompleted, PathwayDiscontinued, PathwayOpened
from contracts.events.guidance import OutcomeRecorded
from contracts.events.tasks import DirectionChanged, DirectionChosen, WeekOpened
from contracts.public import PublicPathEvent

# The contract's length of a path reference: a version digit and 15 hex digits of the hash.
PATH_REF_LENGTH = 16
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


def path_ref(key: VersionedKey, tenant: str, pathway_id: UUID) -> str:
    """A stable pseudonym of the path within its tenant; without the key it reveals nothing.

    The first character is the key's version (1–9) and the other 15 are the keyed hash, so a
    subscriber can tell the references of a rotated key from the old ones (decision 0025).
    """
    digest = hmac.new(key.secret, f"{tenant}:{pathway_id}".encode(), hashlib.sha256).hexdigest()
    return f"{key.version}{digest[: PATH_REF_LENGTH - 1]}"


def public_event(
    envelope: EventEnvelope, event: EventModel, place: Place | None, key: VersionedKey
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
