"""The gate every consumed event passes before any projection or policy sees it.

A message that is not an envelope at all is refused the same way, so one bad message cannot
stall a consumer group (the whole batch would otherwise fail and come again forever). An event
is admitted only when the topic it came on may carry its type (the owning context's
topic, `contracts.ownership`), its Kafka key is its stream id (the relay keys every message
so), its payload's path is its stream, and the headers the relay wrote agree with the
envelope. A refused event is logged (no payload), counted, and dropped from the batch: its
offset is committed with the batch, and it never reaches a projector, so it never records a
stream version as applied and the genuine event at that version is still applied
(decision 0021).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Protocol

from prometheus_client import Counter
from pydantic import ValidationError

from chassis.logs import get_logger
from contracts.envelope import EventEnvelope
from contracts.ownership import may_arrive_on, owning_topic

log = get_logger(__name__)

# One per process (each service is one); issue 16 exposes it at /metrics.
REFUSED_EVENTS = Counter(
    "digipolku_refused_events_total",
    "Consumed events refused before any projection or policy saw them.",
    ["service", "topic", "reason"],
)


class Refusal(StrEnum):
    """Why an event was refused; the counter's and the log line's `reason`."""

    # Not an envelope of ours at all (not JSON, or not the envelope's shape).
    MALFORMED = "not_an_envelope"
    # A known event type on a topic other than its owning context's.
    NOT_OWNER = "type_not_owned_by_topic"
    # The Kafka key is not the envelope's stream id.
    KEY = "key_not_stream"
    # The payload names another path than the envelope's stream.
    STREAM = "payload_not_stream"
    # A header the relay writes (event_type, tenant, event_id) says something else.
    HEADERS = "headers_disagree"


class ConsumedRecord(Protocol):
    """What the gate needs of a Kafka record (aiokafka's ConsumerRecord has it)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...
    @property
    def value(self) -> bytes | None: ...


def decode(record: ConsumedRecord) -> EventEnvelope | None:
    """The record's envelope, or None when it is not one (refused by `admit`)."""
    try:
        return EventEnvelope.model_validate_json(record.value or b"")
    except ValidationError:
        return None


async def decode_batch(message: Any) -> list[EventEnvelope | None]:
    """FastStream's decoder for a batch subscriber: one envelope or None per record, so that
    a malformed record is refused instead of failing the whole batch."""
    return [decode(record) for record in message.raw_message]


def refusal(
    topic: str, key: bytes | None, headers: Sequence[tuple[str, bytes]], event: EventEnvelope
) -> Refusal | None:
    """Why this event may not be accepted from this topic with this key, or None."""
    if not may_arrive_on(topic, event.event_type):
        return Refusal.NOT_OWNER
    if key is None or key != event.stream_id.encode():
        return Refusal.KEY
    path = event.payload.get("pathway_id")
    if path is not None and str(path).lower() != event.stream_id.lower():
        return Refusal.STREAM
    said = {name: value for name, value in headers}
    for name, value in (
        ("event_type", event.event_type),
        ("tenant", event.tenant),
        ("event_id", str(event.event_id)),
    ):
        if name in said and said[name] != value.encode():
            return Refusal.HEADERS
    return None


def admit(service: str, record: ConsumedRecord, event: EventEnvelope | None) -> bool:
    """True when the event may go on to the projectors and policies; a refusal is logged
    and counted here. `event` is None for a record that was not an envelope."""
    if event is None:
        reason = Refusal.MALFORMED
    else:
        found = refusal(record.topic, record.key, record.headers, event)
        if found is None:
            return True
        reason = found
    REFUSED_EVENTS.labels(service=service, topic=record.topic, reason=reason.value).inc()
    # Where to find it and what it claimed to be; never the payload (it may be anything).
    claimed = (
        {}
        if event is None
        else {
            "event_id": str(event.event_id),
            "event_type": event.event_type[:100],
            "owner_topic": owning_topic(event.event_type),
            "stream_version": event.stream_version,
        }
    )
    log.warning(
        "event refused",
        reason=reason.value,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        **claimed,
    )
    return False
