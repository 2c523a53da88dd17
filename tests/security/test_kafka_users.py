"""The broker's side of topic ownership: the declared principals, their Strimzi KafkaUser
objects, and the services' own topic lists agree (decision 0021)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no type hints

from contracts.kafka_principals import (
    SERVICE_READS,
    STATISTICS_PRINCIPAL,
    Principal,
    area_group_prefix,
    area_principal,
    principals,
    service_principal,
)
from contracts.ownership import CONTEXTS
from contracts.reference.municipalities import register
from contracts.registry import ALL_EVENTS, LEGACY_EVENTS
from contracts.topics import INTERNAL_TOPICS, TENANT_TOPIC_PREFIX, public_topic, tenant_topic
from deploy.kubernetes_generate import ROOT, deployed_areas
from deploy.strimzi_objects import kafka_user
from services.enrolment.app import SPEC as ENROLMENT
from services.guidance.app import SPEC as GUIDANCE
from services.reporting.app import SPEC as REPORTING
from services.tasks.app import SPEC as TASKS

SPECS = {spec.name: spec for spec in (ENROLMENT, TASKS, GUIDANCE, REPORTING)}
TENANTS = sorted({area.tenant for area in register().areas.values()})


def by_name() -> dict[str, Principal]:
    return {principal.name: principal for principal in principals()}


def committed_users() -> list[dict[str, Any]]:
    """Every KafkaUser committed under deploy/kubernetes: the base's and each area's."""
    files = [ROOT / "base" / "kafka" / "kafka-users.yaml"]
    files += [ROOT / "areas" / tenant / "kafka.yaml" for tenant in deployed_areas()]
    return [
        doc
        for path in files
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc and doc["kind"] == "KafkaUser"
    ]


def test_every_user_authenticates_with_scram_and_is_limited_by_acls() -> None:
    # The files are generated (`python -m deploy.kubernetes_generate`); tests/deploy checks
    # they are up to date. Every principal but the areas not deployed has its user.
    documents = committed_users()
    deployed = {area_principal(tenant) for tenant in deployed_areas()}
    wanted = {
        name for name in by_name() if not name.startswith(area_principal("")) or name in deployed
    }
    assert sorted(doc["metadata"]["name"] for doc in documents) == sorted(wanted)
    for document in documents:
        assert document["apiVersion"] == "kafka.strimzi.io/v1"
        assert document["kind"] == "KafkaUser"
        assert document["spec"]["authentication"] == {"type": "scram-sha-512"}
        assert document["spec"]["authorization"]["type"] == "simple"
        assert document == kafka_user(by_name()[document["metadata"]["name"]])


def test_each_service_writes_only_its_own_topic() -> None:
    owners = {context.topic: service_principal(context.name) for context in CONTEXTS}
    for principal in principals():
        for topic in INTERNAL_TOPICS:
            assert principal.may("Write", "topic", topic) == (owners[topic] == principal.name)
        allowed_public = principal.name == service_principal("reporting")
        for tenant in TENANTS:
            assert principal.may("Write", "topic", public_topic(tenant)) == allowed_public
            assert principal.may("Write", "topic", tenant_topic(tenant)) == allowed_public


def test_each_service_reads_exactly_what_it_subscribes_to() -> None:
    for name, spec in SPECS.items():
        principal = by_name()[service_principal(name)]
        assert set(spec.subscribes) == set(SERVICE_READS[name])
        for topic in INTERNAL_TOPICS:
            assert principal.may("Read", "topic", topic) == (topic in spec.subscribes), (
                name,
                topic,
            )
        for topic in spec.published_topics:  # the relay's producer looks its topic up
            assert principal.may("Write", "topic", topic)
            assert principal.may("Describe", "topic", topic)
        if spec.subscribes:  # its one consumer group is named after it
            assert principal.may("Read", "group", spec.name)
        for tenant in TENANTS:
            assert not principal.may("Read", "topic", public_topic(tenant))
            assert not principal.may("Read", "topic", tenant_topic(tenant))


def test_each_service_may_read_the_settings_of_the_topics_it_checks_at_start() -> None:
    # ensure_topics compares every topic a service publishes or reads with its declaration
    # (decision 0026); reporting also makes and checks each area's two outward topics.
    for name, spec in SPECS.items():
        principal = by_name()[service_principal(name)]
        for topic in {*spec.published_topics, *spec.subscribes}:
            assert principal.may("DescribeConfigs", "topic", topic), (name, topic)
    reporting = by_name()[service_principal("reporting")]
    for tenant in TENANTS:
        for topic in (public_topic(tenant), tenant_topic(tenant)):
            assert reporting.may("DescribeConfigs", "topic", topic)
            area = by_name()[area_principal(tenant)]
            assert not area.may("DescribeConfigs", "topic", topic)


@pytest.mark.parametrize("tenant", TENANTS)
def test_a_wellbeing_area_reads_every_areas_statistics_and_only_its_own_path_events(
    tenant: str,
) -> None:
    area = by_name()[area_principal(tenant)]
    assert area.may("Read", "topic", tenant_topic(tenant))
    assert area.may("Read", "group", f"{area_group_prefix(tenant)}example-subscriber")
    for other in TENANTS:
        assert area.may("Read", "topic", public_topic(other))  # aggregates: every area's
        if other != tenant:
            assert not area.may("Read", "topic", tenant_topic(other))
            assert not area.may("Read", "group", f"{area_group_prefix(other)}x")
    for topic in INTERNAL_TOPICS:
        assert not area.may("Read", "topic", topic)
    for topic in (public_topic(tenant), tenant_topic(tenant)):
        assert not any(area.may(op, "topic", topic) for op in ("Write", "Create"))
    # A prefix ACL on "digipolku.tenant.<tenant>." cannot match another tenant whose name
    # starts with this one: the dot ends the tenant.
    assert not area.may("Read", "topic", f"{TENANT_TOPIC_PREFIX}{tenant}x.paths")


def test_national_statistics_read_every_areas_statistics_and_no_path_event() -> None:
    statistics = by_name()[STATISTICS_PRINCIPAL]
    for tenant in TENANTS:
        assert statistics.may("Read", "topic", public_topic(tenant))
        assert not statistics.may("Read", "topic", tenant_topic(tenant))
        assert not statistics.may("Write", "topic", public_topic(tenant))
        assert not statistics.may("Read", "group", f"{area_group_prefix(tenant)}x")
    for topic in INTERNAL_TOPICS:
        assert not statistics.may("Read", "topic", topic)


def test_every_event_type_has_exactly_one_owning_context() -> None:
    owners: dict[str, list[str]] = {}
    for context in CONTEXTS:
        for event_type in context.event_types:
            owners.setdefault(event_type, []).append(context.name)
    assert set(owners) == {model.event_type for model in (*ALL_EVENTS, *LEGACY_EVENTS)}
    assert all(len(names) == 1 for names in owners.values()), owners


def test_the_issue_s_forged_types_belong_to_enrolment() -> None:
    enrolment = next(context for context in CONTEXTS if context.name == "enrolment")
    assert {"PathwayOpened", "CounselorAssigned", "ClientDataErased"} <= enrolment.event_types
