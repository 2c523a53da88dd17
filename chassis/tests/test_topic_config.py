"""Topic configuration is declared once (contracts/topics.py) and applied to the broker.

Tansu 0.6.0 takes topic configs at creation and answers DescribeConfigs with them, but has no
AlterConfigs, and accepts any replication factor on its one node: so creation and the check
run against the broker, and the production values (replication, min ISR) are tested on the
declaration itself."""

from __future__ import annotations

from uuid import uuid4

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from chassis.kafka_wire import ensure_topics
from chassis.topic_config import ObservedTopic, topic_differences
from contracts.topics import (
    INTERNAL_TOPICS,
    KEEP_FOREVER_MS,
    declared_topic,
    declared_topics,
    public_topic,
    tenant_topic,
    topic_spec,
)
from deploy.test_infrastructure import TestInfrastructure


def test_internal_topics_keep_every_event_for_rebuilds_and_never_compact() -> None:
    for name in INTERNAL_TOPICS:
        declared = declared_topic(name, "production")
        assert declared is not None
        assert declared.configs["retention.ms"] == str(KEEP_FOREVER_MS) == "-1"
        assert declared.configs["cleanup.policy"] == "delete"
        assert declared.partitions >= 3


def test_production_keeps_three_copies_and_acknowledges_two_development_one() -> None:
    for name in (*INTERNAL_TOPICS, public_topic("kanta-hame"), tenant_topic("kanta-hame")):
        production = declared_topic(name, "production")
        development = declared_topic(name, "development")
        assert production is not None and development is not None
        assert (production.replication_factor, production.configs["min.insync.replicas"]) == (
            3,
            "2",
        )
        assert (development.replication_factor, development.configs["min.insync.replicas"]) == (
            1,
            "1",
        )
        assert production.partitions == development.partitions


def test_a_tenants_path_events_are_declared_by_pattern_with_a_limited_retention() -> None:
    spec = topic_spec(tenant_topic("pirkanmaa"))
    assert spec is not None and spec == topic_spec(tenant_topic("kanta-hame"))
    assert 0 < spec.retention_ms <= 90 * 24 * 3600 * 1000
    # Compacted too: a path's latest event (its forgetting, after an erasure) replaces the
    # earlier ones before the retention would (decision 0032).
    assert spec.cleanup_policy == "compact,delete"
    assert topic_spec("digipolku.tenant.Not A Slug.paths") is None
    assert topic_spec("test.relay.abc") is None


def test_monthly_statistics_keep_each_months_latest_figures_for_ever() -> None:
    spec = topic_spec(public_topic("pirkanmaa"))
    assert spec is not None and spec == topic_spec(public_topic("kanta-hame"))
    assert (spec.retention_ms, spec.cleanup_policy) == (KEEP_FOREVER_MS, "compact")
    assert topic_spec("digipolku.public.kanta-hame.events") is None  # the old per-path topic


def test_the_declared_list_names_every_topic_once_for_the_kubernetes_objects() -> None:
    listed = declared_topics("production", ["pirkanmaa", "kanta-hame", "pirkanmaa"])
    names = [topic.name for topic in listed]
    assert names == [
        *INTERNAL_TOPICS,
        public_topic("kanta-hame"),
        tenant_topic("kanta-hame"),
        public_topic("pirkanmaa"),
        tenant_topic("pirkanmaa"),
    ]
    assert all(topic.replication_factor == 3 for topic in listed)


def test_a_difference_is_named_in_words() -> None:
    declared = declared_topic(INTERNAL_TOPICS[0], "development")
    assert declared is not None
    observed = ObservedTopic(
        name=declared.name,
        partitions=4,
        replication_factor=1,
        configs={"retention.ms": "604800000", "cleanup.policy": "delete"},
    )
    assert topic_differences(declared, observed) == [
        f"{declared.name}: 4 partitions, declared 3",
        f"{declared.name}: min.insync.replicas is not set, declared '1'",
        f"{declared.name}: retention.ms is '604800000', declared '-1'",
    ]


async def _configs(bootstrap: str, name: str) -> tuple[int, dict[str, str]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [topic] = await admin.describe_topics([name])
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
    finally:
        await admin.close()
    entries = response.resources[0][4]
    return len(topic["partitions"]), {entry[0]: entry[1] for entry in entries}


async def test_ensure_topics_creates_a_declared_topic_with_its_configuration(
    infrastructure: TestInfrastructure,
) -> None:
    name = tenant_topic(f"area-{uuid4().hex[:8]}")
    differences = await ensure_topics(infrastructure.kafka_bootstrap, [name])
    assert differences == []
    declared = declared_topic(name, "development")
    assert declared is not None
    partitions, configs = await _configs(infrastructure.kafka_bootstrap, name)
    assert partitions == declared.partitions
    assert {key: configs.get(key) for key in declared.configs} == declared.configs
    # Checked again when it exists: as declared, nothing to say.
    assert await ensure_topics(infrastructure.kafka_bootstrap, [name]) == []


async def test_an_existing_topic_that_differs_is_reported_and_left_alone(
    infrastructure: TestInfrastructure, capsys: pytest.CaptureFixture[str]
) -> None:
    name = tenant_topic(f"area-{uuid4().hex[:8]}")
    admin = AIOKafkaAdminClient(bootstrap_servers=infrastructure.kafka_bootstrap)
    await admin.start()
    try:  # made as a client's auto-creation would: another partition count, no settings
        await admin.create_topics([NewTopic(name, 2, 1)])
    finally:
        await admin.close()
    differences = await ensure_topics(infrastructure.kafka_bootstrap, [name])
    assert f"{name}: 2 partitions, declared 3" in differences
    assert any("retention.ms is not set" in difference for difference in differences)
    assert "a topic differs from its declaration" in capsys.readouterr().out
    partitions, _ = await _configs(infrastructure.kafka_bootstrap, name)
    assert partitions == 2


def test_a_declared_topic_keeps_each_key_on_its_declared_partition() -> None:
    """The relay names the partition for declared topics: the same one Kafka's default
    partitioner picks at the declared count, whatever count an auto-created topic got."""
    from aiokafka.partitioner import DefaultPartitioner

    from chassis.kafka_wire import declared_partition

    topic = INTERNAL_TOPICS[0]
    declared = declared_topic(topic, "development")
    assert declared is not None
    keys = [f"path-{n}".encode() for n in range(200)]
    chosen = [declared_partition(topic, key) for key in keys]
    partitions = list(range(declared.partitions))
    assert chosen == [DefaultPartitioner()(key, partitions, partitions) for key in keys]
    assert set(chosen) == set(partitions)
    assert declared_partition("test.undeclared", b"k") is None
