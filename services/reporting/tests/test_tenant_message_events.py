"""The county app hears that a counselor's message waits for the client, and nothing more
(decision 0041): no text, no time of day, not the client's own messages (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal
from uuid import uuid4

from chassis.versioned_keys import VersionedKey
from contracts.envelope import Actor
from contracts.events.guidance import MessageWaiting
from contracts.registry import make_envelope
from services.reporting.domain.tenant_events import tenant_event

KEY = VersionedKey(1, b"test-key")


def _waiting(from_role: Literal["client", "counselor"]) -> tuple[MessageWaiting, object]:
    event = MessageWaiting(pathway_id=uuid4(), entry_id=uuid4(), from_role=from_role)
    envelope = make_envelope(
        event,
        stream_id=str(event.pathway_id),
        stream_version=3,
        tenant="kanta-hame",
        correlation_id=uuid4(),
        causation_id=None,
        actor=Actor(role="counselor", id="staff-1"),
        # 23:30 UTC is already the next day in Helsinki.
        occurred_at=datetime(2026, 12, 14, 23, 30, tzinfo=UTC),
    )
    return event, envelope


def test_a_counselors_message_tells_the_tenant_that_one_waits_on_the_helsinki_day() -> None:
    event, envelope = _waiting("counselor")
    told = tenant_event(envelope, event, KEY)  # type: ignore[arg-type]
    assert told is not None
    assert (told.event_type, told.on, told.week) == ("message_waiting", date(2026, 12, 15), None)
    raw = told.model_dump_json()
    for internal in (str(event.entry_id), str(event.pathway_id), "counselor", "staff-1"):
        assert internal not in raw


def test_the_clients_own_message_is_not_told_to_the_tenant() -> None:
    event, envelope = _waiting("client")
    assert tenant_event(envelope, event, KEY) is None  # type: ignore[arg-type]
