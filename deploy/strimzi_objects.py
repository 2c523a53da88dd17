"""Strimzi objects from the declarations: a `KafkaUser` per principal, a `KafkaTopic` per topic.

Every principal of `contracts.kafka_principals` becomes one `KafkaUser` with SCRAM-SHA-512
authentication and simple authorization whose ACLs are exactly its grants (decision 0021), and
every topic of `contracts.topics.declared_topics` (production) one `KafkaTopic` with the
declared partitions, replicas and settings (decision 0026). The platform's own (the services'
users, national statistics, the internal topics) go into the Kustomize base; a wellbeing area's
user and its two topics go into that area's component (decision 0037).
`python -m deploy.kubernetes_generate` writes the files; a test compares them with this module.
"""

from __future__ import annotations

from typing import Any

from contracts.kafka_principals import Principal, area_principal, principals
from contracts.topics import INTERNAL_TOPICS, DeclaredTopic, Environment, declared_topics

# Strimzi 0.49 serves v1 for every custom resource (v1beta2 until 0.52); v1 spells the ACL
# operations as a list, `operations`.
API_VERSION = "kafka.strimzi.io/v1"
CLUSTER = "digipolku"
# The deployment is production's: three replicas, two in sync. The development overlay patches
# every topic down to its one broker, as `declared_topics("development")` says.
ENVIRONMENT: Environment = "production"


def kafka_user(principal: Principal, cluster: str = CLUSTER) -> dict[str, Any]:
    """The KafkaUser object for one principal."""
    return {
        "apiVersion": API_VERSION,
        "kind": "KafkaUser",
        "metadata": {
            "name": principal.name,
            "labels": {"strimzi.io/cluster": cluster},
            "annotations": {"digipolku.fi/description": principal.description},
        },
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {
                "type": "simple",
                "acls": [
                    {
                        "resource": {
                            "type": grant.resource,
                            "name": grant.name,
                            "patternType": grant.pattern,
                        },
                        "operations": list(grant.operations),
                    }
                    for grant in principal.grants
                ],
            },
        },
    }


def kafka_topic(topic: DeclaredTopic, cluster: str = CLUSTER) -> dict[str, Any]:
    """The KafkaTopic object for one declared topic (a topic name is a valid object name)."""
    return {
        "apiVersion": API_VERSION,
        "kind": "KafkaTopic",
        "metadata": {"name": topic.name, "labels": {"strimzi.io/cluster": cluster}},
        "spec": {
            "partitions": topic.partitions,
            "replicas": topic.replication_factor,
            "config": dict(topic.configs),
        },
    }


def _is_area(principal: Principal) -> bool:
    return principal.name.startswith(area_principal(""))


def platform_users() -> list[dict[str, Any]]:
    """Every service's user and national statistics' (the base's users)."""
    return [kafka_user(principal) for principal in principals() if not _is_area(principal)]


def platform_topics() -> list[dict[str, Any]]:
    """The internal topics, one per context (the base's topics)."""
    return [kafka_topic(topic) for topic in declared_topics(ENVIRONMENT)]


def area_objects(tenant: str) -> list[dict[str, Any]]:
    """A wellbeing area's own: its statistics and path topics, then its user."""
    topics = [
        kafka_topic(topic)
        for topic in declared_topics(ENVIRONMENT, [tenant])
        if topic.name not in INTERNAL_TOPICS
    ]
    wanted = area_principal(tenant)
    users = [kafka_user(p) for p in principals() if p.name == wanted]
    if not users:
        raise ValueError(f"{tenant!r} is no wellbeing area of contracts/reference")
    return [*topics, *users]
