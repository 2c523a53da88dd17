"""Small builders for envelopes in chassis tests (the chassis knows no domain)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from contracts.envelope import Actor, EventEnvelope, utc_now


def envelope(
    stream_id: str,
    event_type: str = "Noted",
    payload: dict[str, Any] | None = None,
    schema_version: int = 1,
) -> EventEnvelope:
    return EventEnvelope(
        event_type=event_type,
        schema_version=schema_version,
        stream_id=stream_id,
        stream_version=1,
        occurred_at=utc_now(),
        tenant="kanta-hame",
        correlation_id=uuid4(),
        actor=Actor(role="system", id="test"),
        payload=payload if payload is not None else {"n": 1},
    )
