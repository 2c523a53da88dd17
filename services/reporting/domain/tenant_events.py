"""Which internal events the tenant's own systems get a form of, and what of them (pure;
decision 0032).

Only what reminders need: a week opened, the path ended, its client erased, and that a
counselor's message waits for the client (decision 0041: that it waits, never what it says;
the client's own messages to the counselors are no business of the county app). No place,
reasons, scores, outcomes or times of day. The path is named by a keyed hash of its id, and
the event by a keyed hash of the internal event's id: without the key neither can be joined
to anything internal (a plain hash could be, by anyone who holds the internal ids).
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

from chassis.clock import HELSINKI
from chassis.versioned_keys import VersionedKey
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from contracts.events.enrolment import ClientDataErased, PathwayCompleted, PathwayDiscontinued
from contracts.events.guidance import MessageWaiting
from contracts.events.tasks import WeekOpened
from contracts.public import TenantPathEvent

# The contract's length of a path reference: a version digit and 15 hex digits of the hash.
PATH_REF_LENGTH = 16
# The internal events the tenant gets a form of (tenant_event returns None for the rest).
TENANT_SOURCES: tuple[type[EventModel], ...] = (
    WeekOpened,
    PathwayCompleted,
    PathwayDiscontinued,
    ClientDataErased,
    MessageWaiting,
)


def _keyed(key: VersionedKey, text: str) -> bytes:
    return hmac.new(key.secret, text.encode(), hashlib.sha256).digest()


def path_ref(key: VersionedKey, tenant: str, pathway_id: UUID) -> str:
    """A stable pseudonym of the path within its tenant; without the key it reveals nothing.

    The first character is the key's version (1–9) and the other 15 are the keyed hash, so a
    subscriber can tell the references of a rotated key from the old ones (decision 0025).
    """
    digest = _keyed(key, f"{tenant}:{pathway_id}").hex()
    return f"{key.version}{digest[: PATH_REF_LENGTH - 1]}"


def tenant_event_id(key: VersionedKey, internal_event_id: UUID) -> UUID:
    """The same internal event always gives the same id (redelivery is harmless), and the id
    cannot be worked out from the internal one without the key."""
    return UUID(bytes=_keyed(key, f"event:{internal_event_id}")[:16], version=4)


def forgotten_event_id(key: VersionedKey, tenant: str, pathway_id: UUID) -> UUID:
    """A path's one `path_forgotten`: found by id, so nothing of the path is sent after it."""
    return UUID(bytes=_keyed(key, f"forgotten:{tenant}:{pathway_id}")[:16], version=4)


def tenant_event(
    envelope: EventEnvelope, event: EventModel, key: VersionedKey
) -> TenantPathEvent | None:
    """The tenant's form of an internal event, or None when its systems get nothing of it."""
    pathway_id = getattr(event, "pathway_id", None)
    if not isinstance(pathway_id, UUID):
        return None
    tenant = envelope.tenant
    base = {
        "event_id": tenant_event_id(key, envelope.event_id),
        "tenant": tenant,
        "path_ref": path_ref(key, tenant, pathway_id),
    }
    match event:
        case WeekOpened():
            return TenantPathEvent(
                event_type="week_opened", week=event.week, on=event.opened_on, **base
            )
        case PathwayCompleted():
            return TenantPathEvent(event_type="path_ended", on=event.completed_on, **base)
        case PathwayDiscontinued():
            return TenantPathEvent(event_type="path_ended", on=event.discontinued_on, **base)
        case MessageWaiting(from_role="counselor"):
            # The day, like the others; the time of day and the words stay inside.
            return TenantPathEvent(
                event_type="message_waiting",
                on=envelope.occurred_at.astimezone(HELSINKI).date(),
                **base,
            )
        case ClientDataErased():
            base["event_id"] = forgotten_event_id(key, tenant, pathway_id)
            return TenantPathEvent(event_type="path_forgotten", **base)
    return None
