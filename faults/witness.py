"""What the services' databases hold: the event stores (the witness between the command log
and the read models), the idempotency keys that tie a command to its events, and each
projection's tracking (the last stream version it applied, per source topic and stream)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

import asyncpg

from chassis.service import ServiceSpec
from contracts.topics import ENROLMENT_EVENTS, GUIDANCE_EVENTS, TASKS_EVENTS

# Each internal topic carries one store's events (its relay's).
STORE_OF_TOPIC = {
    ENROLMENT_EVENTS: "enrolment",
    TASKS_EVENTS: "tasks",
    GUIDANCE_EVENTS: "guidance",
}
STORES = tuple(STORE_OF_TOPIC.values())
CONNECT_TIMEOUT = 3.0


@dataclass(frozen=True)
class Feed:
    """A read model fed by a store: `projection` in `service`'s database, from `topic`."""

    service: str
    projection: str
    topic: str

    @property
    def store(self) -> str:
        return STORE_OF_TOPIC[self.topic]

    @property
    def name(self) -> str:
        return f"{self.service}.{self.projection} ← {self.store}"


def feeds(
    specs: Mapping[str, ServiceSpec], inline: Mapping[str, list[tuple[str, str]]]
) -> list[Feed]:
    """Every (projection, topic) the services keep: consumed ones from their specs, and the
    inline ones (`inline`: service → [(projection, topic)]) their commands keep."""
    found = [
        Feed(name, projection.name, topic)
        for name, spec in specs.items()
        for projection in spec.projections
        for topic in spec.subscribes
    ]
    found += [Feed(name, p, topic) for name, pairs in inline.items() for p, topic in pairs]
    return found


@dataclass(frozen=True)
class StoredEvent:
    position: int
    event_id: UUID
    stream_id: str
    stream_version: int
    event_type: str
    correlation_id: UUID
    causation_id: UUID | None
    actor_role: str


@dataclass(frozen=True)
class KeyRecord:
    """An idempotency key's first append: its stream and the versions it wrote."""

    stream_id: str
    first_version: int
    last_version: int


@dataclass
class Observation:
    events: dict[str, list[StoredEvent]] = field(default_factory=dict)
    # service → the key as the caller sent it → its record (the store prefixes the key with
    # the command's scope and actor: the caller's key is what follows the last colon).
    keys: dict[str, dict[str, KeyRecord]] = field(default_factory=dict)
    # feed → stream → last version applied
    tracking: dict[Feed, dict[str, int]] = field(default_factory=dict)


async def _connect(dsn: str) -> asyncpg.Connection:
    return await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)


async def observe(dsns: Mapping[str, str], every_feed: list[Feed]) -> Observation:
    """Everything the checker needs, read with the admin role (`dsns`: service → DSN)."""
    seen = Observation()
    for store in STORES:
        connection = await _connect(dsns[store])
        try:
            rows = await connection.fetch(
                "SELECT position, event_id, stream_id, stream_version, event_type,"
                " correlation_id, causation_id, actor->>'role' AS role FROM events"
                " ORDER BY position"
            )
            seen.events[store] = [
                StoredEvent(
                    r["position"],
                    r["event_id"],
                    r["stream_id"],
                    r["stream_version"],
                    r["event_type"],
                    r["correlation_id"],
                    r["causation_id"],
                    r["role"],
                )
                for r in rows
            ]
            keys = await connection.fetch(
                "SELECT idempotency_key, stream_id, first_version, last_version"
                " FROM idempotency_keys"
            )
            seen.keys[store] = {
                k["idempotency_key"].rsplit(":", 1)[-1]: KeyRecord(
                    k["stream_id"], k["first_version"], k["last_version"]
                )
                for k in keys
            }
        finally:
            await connection.close()
    for feed in every_feed:
        seen.tracking[feed] = await _tracking(dsns[feed.service], feed)
    return seen


async def _tracking(dsn: str, feed: Feed) -> dict[str, int]:
    connection = await _connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT stream_id, stream_version FROM projection_tracking"
            " WHERE projection = $1 AND source = $2",
            feed.projection,
            feed.topic,
        )
    finally:
        await connection.close()
    return {row["stream_id"]: row["stream_version"] for row in rows}


@dataclass(frozen=True)
class Counts:
    """The cheap look the recovery monitor takes: events stored per store (and the highest
    position), events applied per feed (versions count from 1 without gaps, so the sum of a
    feed's tracked versions is the number of events it has applied)."""

    stored: dict[str, int]
    highest: dict[str, int]
    applied: dict[Feed, int]


async def counts(dsns: Mapping[str, str], every_feed: list[Feed]) -> Counts:
    stored: dict[str, int] = {}
    highest: dict[str, int] = {}
    applied: dict[Feed, int] = {}
    for service in sorted({*STORES, *(feed.service for feed in every_feed)}):
        connection = await _connect(dsns[service])
        try:
            if service in STORES:
                row = await connection.fetchrow(
                    "SELECT count(*) AS n, coalesce(max(position), 0) AS top FROM events"
                )
                assert row is not None  # an aggregate always has a row
                stored[service], highest[service] = int(row["n"]), int(row["top"])
            for feed in every_feed:
                if feed.service == service:
                    applied[feed] = int(
                        await connection.fetchval(
                            "SELECT coalesce(sum(stream_version), 0) FROM projection_tracking"
                            " WHERE projection = $1 AND source = $2",
                            feed.projection,
                            feed.topic,
                        )
                    )
        finally:
            await connection.close()
    return Counts(stored, highest, applied)
