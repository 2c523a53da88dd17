"""Which Kafka principal may do what: one principal per service, one per wellbeing area.

Beside the topic ownership (`contracts.ownership`), which the consumers enforce, this is what
the broker enforces (decision 0021): each service writes only its own topic and reads only
the topics it consumes, in consumer groups named after it. Every wellbeing area and national
statistics read every tenant's monthly statistics; each area alone reads its own path events
(decision 0032). `deploy/strimzi_objects.py` turns it into Strimzi `KafkaUser` objects, and a
test keeps that file and the services' own topic lists in step with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from contracts.ownership import CONTEXTS
from contracts.reference.municipalities import register
from contracts.topics import (
    ENROLMENT_EVENTS,
    GUIDANCE_EVENTS,
    PUBLIC_TOPIC_PREFIX,
    TASKS_EVENTS,
    TENANT_TOPIC_PREFIX,
    tenant_topic,
)

PRINCIPAL_PREFIX = "digipolku-"
# National statistics (THL, Statistics Finland): the monthly statistics of every tenant.
STATISTICS_PRINCIPAL = f"{PRINCIPAL_PREFIX}statistics"
STATISTICS_GROUP_PREFIX = "statistics."

ResourceType = Literal["topic", "group"]
PatternType = Literal["literal", "prefix"]
Operation = Literal["Read", "Write", "Create", "Describe", "DescribeConfigs"]


@dataclass(frozen=True, order=True)
class Grant:
    """One ACL: operations on a topic or consumer group, by exact name or by prefix."""

    resource: ResourceType
    name: str
    pattern: PatternType
    operations: tuple[Operation, ...]


@dataclass(frozen=True)
class Principal:
    """A Kafka user: its name and everything it may do (nothing else is allowed)."""

    name: str
    description: str
    grants: tuple[Grant, ...]

    def may(self, operation: Operation, resource: ResourceType, name: str) -> bool:
        """True when one of the grants allows `operation` on the named resource."""
        return any(
            grant.resource == resource
            and operation in grant.operations
            and (name == grant.name if grant.pattern == "literal" else name.startswith(grant.name))
            for grant in self.grants
        )


def _topic(
    name: str,
    *,
    write: bool,
    read: bool,
    pattern: PatternType = "literal",
    check_settings: bool = False,
) -> Grant:
    operations: list[Operation] = []
    if write:
        # Create: a service makes its own topic when it is missing (ensure_topics at start).
        operations += ["Write", "Create"]
    if read:
        operations.append("Read")
    if check_settings:
        # DescribeConfigs: a service checks its topics' settings against contracts/topics.py
        # at start (decision 0026); without it that check is only a warning that it could not.
        operations.append("DescribeConfigs")
    # Describe: producers, consumers and the admin client look a topic up first.
    return Grant("topic", name, pattern, (*operations, "Describe"))


def _group(prefix: str) -> Grant:
    return Grant("group", prefix, "prefix", ("Read", "Describe"))


def service_principal(service: str) -> str:
    """The Kafka user a service connects as (its DIGIPOLKU_KAFKA_USERNAME)."""
    return f"{PRINCIPAL_PREFIX}{service}"


def area_principal(tenant: str) -> str:
    """The Kafka user a wellbeing area's own systems connect as."""
    return f"{PRINCIPAL_PREFIX}area-{tenant}"


def area_group_prefix(tenant: str) -> str:
    """Consumer groups a wellbeing area may use: its tenant and a dot, then any name."""
    return f"{tenant}."


_OWN_TOPIC = {context.name: context.topic for context in CONTEXTS}
# The topics each service's one consumer group reads (its ServiceSpec.subscribes).
SERVICE_READS: dict[str, tuple[str, ...]] = {
    "enrolment": (),
    "tasks": (ENROLMENT_EVENTS, GUIDANCE_EVENTS),
    "guidance": (ENROLMENT_EVENTS, TASKS_EVENTS, GUIDANCE_EVENTS),
    "reporting": (ENROLMENT_EVENTS, TASKS_EVENTS, GUIDANCE_EVENTS),
}


def _service(service: str) -> Principal:
    reads = SERVICE_READS[service]
    own = _OWN_TOPIC.get(service)
    grants = [
        _topic(topic, write=False, read=True, check_settings=True)
        for topic in reads
        if topic != own
    ]
    if own is not None:
        grants.append(_topic(own, write=True, read=own in reads, check_settings=True))
    if service == "reporting":  # every area's statistics and path events (decision 0032)
        grants += [
            _topic(prefix, write=True, read=False, pattern="prefix", check_settings=True)
            for prefix in (PUBLIC_TOPIC_PREFIX, TENANT_TOPIC_PREFIX)
        ]
    if reads:
        grants.append(_group(service))
    return Principal(service_principal(service), f"The {service} service", tuple(sorted(grants)))


def _area(tenant: str) -> Principal:
    own = tenant_topic(tenant).removesuffix("paths")  # digipolku.tenant.<tenant>.
    return Principal(
        area_principal(tenant),
        f"The {tenant} wellbeing area's own systems",
        (
            _group(area_group_prefix(tenant)),
            _topic(PUBLIC_TOPIC_PREFIX, write=False, read=True, pattern="prefix"),
            _topic(own, write=False, read=True, pattern="prefix"),
        ),
    )


def _statistics() -> Principal:
    return Principal(
        STATISTICS_PRINCIPAL,
        "National statistics: every tenant's monthly statistics",
        (
            _group(STATISTICS_GROUP_PREFIX),
            _topic(PUBLIC_TOPIC_PREFIX, write=False, read=True, pattern="prefix"),
        ),
    )


def principals() -> tuple[Principal, ...]:
    """Every principal: services first, then national statistics, then one per wellbeing area
    in the register."""
    tenants = sorted({area.tenant for area in register().areas.values()})
    return (
        *(_service(name) for name in SERVICE_READS),
        _statistics(),
        *(_area(tenant) for tenant in tenants),
    )
