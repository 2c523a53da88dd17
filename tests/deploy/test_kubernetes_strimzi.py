"""Apache Kafka through Strimzi in every overlay: KRaft node pools, three replicas and two in
sync, TLS with SCRAM-SHA-512 everywhere, ACLs and topics exactly the declarations."""

from __future__ import annotations

import pytest

from contracts.kafka_principals import principals, service_principal
from contracts.topics import Environment, declared_topics
from deploy.kubernetes_generate import deployed_areas
from deploy.kubernetes_services import SERVICES
from deploy.strimzi_objects import kafka_topic, kafka_user
from tests.deploy.kubernetes_render import ENVIRONMENTS, Manifest, of_kind, overlay, rendered

# Development runs one broker; staging and production as contracts/topics.py declares.
DECLARED_AS: dict[str, Environment] = {
    "development": "development",
    "staging": "production",
    "production": "production",
}


def _without_namespace(manifest: Manifest) -> Manifest:
    metadata = {k: v for k, v in manifest["metadata"].items() if k != "namespace"}
    return {**manifest, "metadata": metadata}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_kafka_is_kraft_with_tls_and_scram_on_every_listener(environment: str) -> None:
    objects = rendered(overlay(environment))
    kafka = of_kind(objects, "Kafka")["digipolku"]
    assert kafka["apiVersion"] == "kafka.strimzi.io/v1"
    assert "zookeeper" not in kafka["spec"]
    listeners = kafka["spec"]["kafka"]["listeners"]
    assert listeners
    for listener in listeners:
        assert listener["tls"] is True, listener["name"]
        assert listener["authentication"] == {"type": "scram-sha-512"}, listener["name"]
    assert kafka["spec"]["kafka"]["authorization"] == {"type": "simple"}
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
    pools = of_kind(objects, "KafkaNodePool")
    roles = {role for pool in pools.values() for role in pool["spec"]["roles"]}
    assert roles == {"controller", "broker"}
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == "digipolku" for p in pools.values())
    replicas = 1 if environment == "development" else 3
    config = kafka["spec"]["kafka"]["config"]
    assert config["default.replication.factor"] == replicas
    assert config["min.insync.replicas"] == (1 if environment == "development" else 2)
    for pool in pools.values():
        assert pool["spec"]["replicas"] == replicas


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_topics_are_the_one_declaration(environment: str) -> None:
    topics = of_kind(rendered(overlay(environment)), "KafkaTopic")
    wanted = declared_topics(DECLARED_AS[environment], deployed_areas())
    assert {name: _without_namespace(topic) for name, topic in topics.items()} == {
        topic.name: kafka_topic(topic) for topic in wanted
    }
    if environment != "development":
        for topic in topics.values():
            assert topic["spec"]["replicas"] == 3
            assert topic["spec"]["config"]["min.insync.replicas"] == "2"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_users_and_their_acls_are_the_one_declaration(environment: str) -> None:
    users = of_kind(rendered(overlay(environment)), "KafkaUser")
    deployed = {f"digipolku-area-{tenant}" for tenant in deployed_areas()}
    wanted = [
        p for p in principals() if not p.name.startswith("digipolku-area-") or p.name in deployed
    ]
    assert {name: _without_namespace(user) for name, user in users.items()} == {
        p.name: kafka_user(p) for p in wanted
    }
    for service in SERVICES:  # the user each Deployment connects as exists
        assert service_principal(service) in users
