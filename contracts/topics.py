"""Kafka topics: their names and, declared once, their configuration.

Internal topics carry a context's full domain events for the platform's own services. Public
topics are per tenant, so prefix ACLs can give each wellbeing area only its own, and carry
minimised events (no identity, no free text).

The declaration below is the only place a topic's partitions, retention, cleanup policy,
replication factor and `min.insync.replicas` are written down: services create missing
topics from it at start (`chassis.kafka_wire.ensure_topics`), and the deployment generates
the Kubernetes `KafkaTopic` objects from `declared_topics` (decision 0026).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

ENROLMENT_EVENTS = "digipolku.enrolment.events"
TASKS_EVENTS = "digipolku.tasks.events"
GUIDANCE_EVENTS = "digipolku.guidance.events"
INTERNAL_TOPICS = (ENROLMENT_EVENTS, TASKS_EVENTS, GUIDANCE_EVENTS)

_TENANT = re.compile(r"^[a-z0-9-]+$")
PUBLIC_TOPIC_PATTERN = re.compile(r"^digipolku\.public\.([a-z0-9-]+)\.events$")

Environment = Literal["development", "production"]

# Kept for ever: a rebuild replays an internal topic from its first event, so a retention
# limit (Kafka's default is seven days) would make every later rebuild silently incomplete.
# The event stores stay the source of truth; the topic is their full copy for consumers.
KEEP_FOREVER_MS = -1
# Outside subscribers get a month to catch up. The public events are derived (reporting
# re-publishes them when it re-consumes), so a shorter life costs nothing and keeps less
# per-path data outside the platform.
PUBLIC_RETENTION_MS = 30 * 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """One topic's (or one family of topics') declared configuration."""

    partitions: int
    retention_ms: int
    # "delete", never "compact": compaction keeps only a key's (a path's) last event, and an
    # event stream needs every one of them.
    cleanup_policy: Literal["delete"] = "delete"
    # Production: three copies, and a write is acknowledged only once two have it
    # (acks=all), so one broker can be lost without losing an acknowledged event.
    production_replicas: int = 3
    production_min_insync: int = 2

    def replication_factor(self, environment: Environment) -> int:
        return self.production_replicas if environment == "production" else 1

    def configs(self, environment: Environment) -> dict[str, str]:
        """The topic-level settings, as the broker and `KafkaTopic.spec.config` name them."""
        min_insync = self.production_min_insync if environment == "production" else 1
        return {
            "retention.ms": str(self.retention_ms),
            "cleanup.policy": self.cleanup_policy,
            "min.insync.replicas": str(min_insync),
        }


@dataclass(frozen=True)
class DeclaredTopic:
    """A concrete topic with everything needed to create it."""

    name: str
    partitions: int
    replication_factor: int
    configs: dict[str, str]


INTERNAL_TOPIC_SPEC = TopicSpec(partitions=3, retention_ms=KEEP_FOREVER_MS)
PUBLIC_TOPIC_SPEC = TopicSpec(partitions=3, retention_ms=PUBLIC_RETENTION_MS)
TOPIC_SPECS: dict[str, TopicSpec] = {name: INTERNAL_TOPIC_SPEC for name in INTERNAL_TOPICS}


def public_topic(tenant: str) -> str:
    if not _TENANT.fullmatch(tenant):
        raise ValueError(f"tenant must be a lowercase slug, not {tenant!r}")
    return f"digipolku.public.{tenant}.events"


def topic_spec(name: str) -> TopicSpec | None:
    """The declaration that covers `name` (an internal topic or a tenant's public topic);
    None for a topic the platform does not declare (a test's own topic)."""
    if name in TOPIC_SPECS:
        return TOPIC_SPECS[name]
    if PUBLIC_TOPIC_PATTERN.fullmatch(name):
        return PUBLIC_TOPIC_SPEC
    return None


def declared_topic(name: str, environment: Environment) -> DeclaredTopic | None:
    spec = topic_spec(name)
    if spec is None:
        return None
    return DeclaredTopic(
        name=name,
        partitions=spec.partitions,
        replication_factor=spec.replication_factor(environment),
        configs=spec.configs(environment),
    )


def declared_topics(environment: Environment, tenants: Iterable[str] = ()) -> list[DeclaredTopic]:
    """Every topic the platform needs with its configuration: the internal topics and one
    public topic per tenant given. The Kubernetes topic objects are generated from this."""
    names = [*INTERNAL_TOPICS, *(public_topic(tenant) for tenant in sorted(set(tenants)))]
    topics = [declared_topic(name, environment) for name in names]
    return [topic for topic in topics if topic is not None]
