"""How events travel on Kafka: topic creation (from the declaration in contracts/topics.py),
producers, and the message format.

The value is the envelope as JSON; the key is the stream id (the pathway id), so one path's
events keep their order on one partition; headers repeat what a consumer needs before parsing
(type, version, ids), the correlation id among them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.partitioner import murmur2

from chassis.kafka_security import PLAINTEXT, KafkaSecurity
from chassis.logs import get_logger
from chassis.topic_config import ObservedTopic, topic_differences
from contracts.envelope import EventEnvelope
from contracts.topics import DeclaredTopic, Environment, declared_topic, topic_spec

log = get_logger(__name__)

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


def declared_partition(topic: str, key: bytes) -> int | None:
    """The partition of `key` among the topic's declared partitions (None: not declared, the
    producer's partitioner chooses). The same choice as Kafka's default partitioner while the
    topic has its declared count; and still the same when a broker that forgot the topic
    let a client auto-create it with another count (Tansu makes four): a path's events stay
    on the partition its consumers were given, and the extra partitions stay empty."""
    spec = topic_spec(topic)
    if spec is None:
        return None
    hashed: int = murmur2(key)
    return (hashed & 0x7FFFFFFF) % spec.partitions


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
    environment: Environment = "development",
) -> list[str]:
    """Create the missing topics as contracts/topics.py declares them, and check the existing
    ones against the declaration: each difference is logged as a warning and returned, the
    topic left as it is (chassis.topic_config says why).

    A topic the platform does not declare (a test's own) is created with `partitions` and
    the broker's defaults, and not checked. Services pass their own `security` and
    environment; the plaintext default is for the local broker of tests and benches
    (tests/security/test_kafka_clients.py checks that no service relies on it).
    """
    names = sorted(set(topics))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security.client_options())
    try:
        await admin.start()  # inside: a refused connection still closes the client
        existing = set(await admin.list_topics())
        wanted = [
            _new_topic(name, partitions, environment) for name in names if name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
        declared = [
            topic
            for name in names
            if name in existing and (topic := declared_topic(name, environment)) is not None
        ]
        differences = await _check_existing(admin, declared) if declared else []
    finally:
        await admin.close()
    for difference in differences:
        log.warning("a topic differs from its declaration", difference=difference)
    return differences


def _new_topic(name: str, partitions: int, environment: Environment) -> NewTopic:
    declared = declared_topic(name, environment)
    if declared is None:
        return NewTopic(name=name, num_partitions=partitions, replication_factor=1)
    return NewTopic(
        name=name,
        num_partitions=declared.partitions,
        replication_factor=declared.replication_factor,
        topic_configs=dict(declared.configs),
    )


async def _check_existing(
    admin: AIOKafkaAdminClient, declared: Sequence[DeclaredTopic]
) -> list[str]:
    """One metadata request and one DescribeConfigs request for all the declared topics."""
    metadata = {
        entry["topic"]: entry["partitions"]
        for entry in await admin.describe_topics([topic.name for topic in declared])
    }
    responses = await admin.describe_configs(
        [
            # All of them: Tansu 0.6.0 closes the connection when asked for named ones.
            ConfigResource(ConfigResourceType.TOPIC, topic.name)
            for topic in declared
        ]
    )
    configs: dict[str, dict[str, str]] = {}
    differences: list[str] = []
    for response in responses:
        # (error_code, error_message, resource_type, resource_name, config_entries)
        for resource in response.resources:
            if resource[0]:  # not allowed to look (no DescribeConfigs right), say so
                differences.append(f"{resource[3]}: its settings could not be read ({resource[1]})")
                continue
            entries = resource[4] or []
            configs[resource[3]] = {entry[0]: entry[1] for entry in entries}
    for topic in declared:
        if topic.name not in configs:
            continue
        partitions = metadata.get(topic.name) or []
        observed = ObservedTopic(
            name=topic.name,
            partitions=len(partitions),
            replication_factor=max((len(p["replicas"]) for p in partitions), default=0),
            configs={k: v for k, v in configs.get(topic.name, {}).items() if v is not None},
        )
        differences += topic_differences(topic, observed)
    return differences


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
