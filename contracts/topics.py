"""Kafka topics: their names and, declared once, their configuration.

Internal topics carry a context's full domain events for the platform's own services. What
leaves the platform goes on two families of per-tenant topics (decision 0032):
- `digipolku.public.<tenant>.statistics`: the tenant's disclosure-controlled monthly figures,
  which every wellbeing area and national statistics may read;
- `digipolku.tenant.<tenant>.paths`: the few per-path events the tenant's own systems need
  (reminders), which only that tenant may read (prefix ACLs, so the names put the tenant
  right after a fixed prefix).

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
PUBLIC_TOPIC_PREFIX = "digipolku.public."
TENANT_TOPIC_PREFIX = "digipolku.tenant."
PUBLIC_TOPIC_PATTERN = re.compile(r"^digipolku\.public\.([a-z0-9-]+)\.statistics$")
TENANT_TOPIC_PATTERN = re.compile(r"^digipolku\.tenant\.([a-z0-9-]+)\.paths$")

Environment = Literal["development", "production"]

# Kept for ever: a rebuild replays an internal topic from its first event, so a retention
# limit (Kafka's default is seven days) would make every later rebuild silently incomplete.
# The event stores stay the source of truth; the topic is their full copy for consumers.
KEEP_FOREVER_MS = -1
# A tenant's systems get a month to catch up on its path events. They are derived (reporting
# re-publishes them from its outbox), so a shorter life costs nothing and keeps less per-path
# data on the broker; compaction keeps only a path's latest event sooner than that.
TENANT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """One topic's (or one family of topics') declared configuration."""

    partitions: int
    retention_ms: int
    # Event streams: "delete", never "compact": compaction keeps only a key's (a path's) last
    # event, and a stream needs every one of them. Statistics are keyed by month and only the
    # latest figures count ("compact"); a tenant's path events serve reminders, for which a
    # path's latest event is enough, and erasure's last word replaces what came before.
    cleanup_policy: Literal["delete", "compact", "compact,delete"] = "delete"
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
# One partition: a month's figures are a handful of messages a month, and one partition keeps
# every month of a tenant in order. Kept for ever (the latest figures of each month).
PUBLIC_TOPIC_SPEC = TopicSpec(partitions=1, retention_ms=KEEP_FOREVER_MS, cleanup_policy="compact")
TENANT_TOPIC_SPEC = TopicSpec(
    partitions=3, retention_ms=TENANT_RETENTION_MS, cleanup_policy="compact,delete"
)
TOPIC_SPECS: dict[str, TopicSpec] = {name: INTERNAL_TOPIC_SPEC for name in INTERNAL_TOPICS}


def _slug(tenant: str) -> str:
    if not _TENANT.fullmatch(tenant):
        raise ValueError(f"tenant must be a lowercase slug, not {tenant!r}")
    return tenant


def public_topic(tenant: str) -> str:
    """The tenant's monthly statistics, for every wellbeing area and national statistics."""
    return f"{PUBLIC_TOPIC_PREFIX}{_slug(tenant)}.statistics"


def tenant_topic(tenant: str) -> str:
    """The tenant's per-path events, for its own systems only."""
    return f"{TENANT_TOPIC_PREFIX}{_slug(tenant)}.paths"


def topic_spec(name: str) -> TopicSpec | None:
    """The declaration that covers `name` (an internal topic or a tenant's statistics or path
    topic); None for a topic the platform does not declare (a test's own topic)."""
    if name in TOPIC_SPECS:
        return TOPIC_SPECS[name]
    if PUBLIC_TOPIC_PATTERN.fullmatch(name):
        return PUBLIC_TOPIC_SPEC
    if TENANT_TOPIC_PATTERN.fullmatch(name):
        return TENANT_TOPIC_SPEC
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
    """Every topic the platform needs with its configuration: the internal topics and each
    given tenant's statistics and path topics. The Kubernetes topic objects come from this."""
    names = [
        *INTERNAL_TOPICS,
        *(
            topic
            for tenant in sorted(set(tenants))
            for topic in (public_topic(tenant), tenant_topic(tenant))
        ),
    ]
    topics = [declared_topic(name, environment) for name in names]
    return [topic for topic in topics if topic is not None]
