"""How events travel on Kafka: topic creation, producers, and the message format.

The value is the envelope as JSON; the key is the stream id (the pathway id), so one path's
events keep their order on one partition; headers repeat what a consumer needs before parsing
(type, version, ids), the correlation id among them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from chassis.kafka_security import PLAINTEXT, KafkaSecurity
from contracts.envelope import EventEnvelope

DEFAULT_PARTITIONS = 3
CORRELATION_HEADER = "correlation_id"


def event_headers(envelope: EventEnvelope) -> list[tuple[str, bytes]]:
    headers = [
        ("event_id", str(envelope.event_id).encode()),
        ("event_type", envelope.event_type.encode()),
        ("schema_version", str(envelope.schema_version).encode()),
        ("tenant", envelope.tenant.encode()),
        (CORRELATION_HEADER, str(envelope.correlation_id).encode()),
        ("content-type", b"application/json"),
    ]
    if envelope.causation_id is not None:
        headers.append(("causation_id", str(envelope.causation_id).encode()))
    return headers


def encode_event(envelope: EventEnvelope) -> bytes:
    return envelope.model_dump_json().encode()


def decode_event(value: bytes) -> EventEnvelope:
    return EventEnvelope.model_validate_json(value)


def header_value(headers: Mapping[str, object] | Sequence[tuple[str, bytes]], name: str) -> str:
    """A header as text, from FastStream's dict form or aiokafka's list of pairs."""
    raw: object = None
    if isinstance(headers, Mapping):
        raw = headers.get(name)
    else:
        raw = next((value for key, value in headers if key == name), None)
    if isinstance(raw, bytes):
        return raw.decode()
    return "" if raw is None else str(raw)


async def ensure_topics(
    bootstrap: str,
    topics: Iterable[str],
    partitions: int = DEFAULT_PARTITIONS,
    *,
    security: KafkaSecurity = PLAINTEXT,
) -> None:
    """Create the topics that do not exist yet (an existing topic is left as it is).

    Services pass their own `security`; the plaintext default is for the local broker of
    tests and benches (tests/security/test_kafka_clients.py checks that no service relies
    on it).
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security.client_options())
    try:
        await admin.start()  # inside: a refused connection still closes the client
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name=name, num_partitions=partitions, replication_factor=1)
            for name in topics
            if name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
    finally:
        await admin.close()


def event_producer(bootstrap: str, *, security: KafkaSecurity = PLAINTEXT) -> AIOKafkaProducer:
    """A producer for the relay: every replica acknowledges, no idempotence.

    aiokafka's idempotent producer cannot start against Tansu, and at-least-once delivery
    with deduplicating consumers is what the relay needs on real Kafka too. aiokafka sends
    one batch per partition at a time, so order within a partition holds across retries.
    """
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        linger_ms=5,
        request_timeout_ms=15_000,
        **security.client_options(),
    )
