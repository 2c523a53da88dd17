"""Publishing the public events: each tenant's on its own topic, keyed by the path's ref.

Runs as reporting's policy on every consumed event, after the projections: the path's place
comes from reporting's own read model. Delivery is at least once (a failed send leaves the
message unacknowledged and it comes again); the public event id is the same each time, and
subscribers drop repeats by it. The producer lives as long as the service (a background job).
"""

from __future__ import annotations

import asyncio

import asyncpg
from aiokafka import AIOKafkaProducer

from chassis.kafka_security import KafkaSecurity
from chassis.kafka_wire import ensure_topics
from chassis.versioned_keys import VersionedKey
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from contracts.events.enrolment import PathwayOpened
from contracts.registry import UnknownEvent, parse_payload
from contracts.topics import Environment, public_topic
from services.reporting.domain.public_events import PUBLIC_SOURCES, Place, public_event


class PublicPublisher:
    """Made once at start; its producer runs as a background job of the service."""

    def __init__(
        self,
        bootstrap_servers: str,
        ref_key: VersionedKey,
        pool: asyncpg.Pool,
        *,
        security: KafkaSecurity,
        environment: Environment,
    ) -> None:
        self._bootstrap = bootstrap_servers
        # Production's public topics are replicated as contracts/topics.py declares them.
        self._environment = environment
        # Reporting's own principal: it alone may write the public topics (decision 0021).
        self._security = security
        self._ref_key = ref_key
        self._pool = pool
        self._producer: AIOKafkaProducer | None = None
        self._ready = asyncio.Event()
        self._known_topics: set[str] = set()

    async def run(self, stop: asyncio.Event) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            acks="all",
            linger_ms=5,
            **self._security.client_options(),
        )
        await producer.start()
        self._producer = producer
        self._ready.set()
        try:
            await stop.wait()
        finally:
            await producer.stop()

    async def _place(self, pathway_id: object) -> Place:
        row = await self._pool.fetchrow(
            "SELECT municipality, cohort FROM report_paths WHERE pathway_id = $1", pathway_id
        )
        return Place(row["municipality"], row["cohort"]) if row else Place(None, None)

    async def publish(self, envelope: EventEnvelope) -> None:
        try:
            event = parse_payload(envelope)
        except UnknownEvent:
            return  # an event type this service does not know carries nothing public
        await self.publish_event(envelope, event)

    async def publish_event(self, envelope: EventEnvelope, event: EventModel) -> None:
        """The event already read (the consumer decodes first: decision 0027)."""
        if not isinstance(event, PUBLIC_SOURCES):
            return  # most events (answers, feedback, …): nothing public, no look-up for them
        place = None
        if not isinstance(event, PathwayOpened):  # the opening carries its place itself
            place = await self._place(getattr(event, "pathway_id", None))
        await asyncio.wait_for(self._ready.wait(), timeout=30)
        public = public_event(envelope, event, place, self._ref_key)
        if public is None:
            return
        destination = public_topic(public.tenant)
        if destination not in self._known_topics:
            await ensure_topics(
                self._bootstrap,
                [destination],
                security=self._security,
                environment=self._environment,
            )
            self._known_topics.add(destination)
        assert self._producer is not None, "the producer started before ready was set"
        await self._producer.send_and_wait(
            destination, key=public.path_ref.encode(), value=public.model_dump_json().encode()
        )
