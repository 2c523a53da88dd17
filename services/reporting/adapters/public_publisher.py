"""Publishing the public events: each tenant's on its own topic, keyed by the path's ref.

Runs as reporting's policy on every consumed event, after the projections: the path's place
comes from reporting's own read model. Delivery is at least once (a failed send leaves the
message unacknowledged and it comes again); the public event id is the same each time, and
subscribers drop repeats by it. The producer lives as long as the service (a background job).
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer

from chassis.kafka_wire import ensure_topics
from chassis.service import ServiceRuntime
from contracts.envelope import EventEnvelope
from contracts.events.enrolment import PathwayOpened
from contracts.registry import UnknownEvent, parse_payload
from contracts.topics import public_topic
from services.reporting.domain.public_events import PUBLIC_SOURCES, Place, public_event
from services.reporting.settings import ReportingSettings

PRODUCER = "public_producer"
REF_KEY = "public_ref_key"
READY = "public_ready"
TOPICS = "public_topics"


def _ready(runtime: ServiceRuntime) -> asyncio.Event:
    event: asyncio.Event = runtime.extras.setdefault(READY, asyncio.Event())
    return event


async def run_public_producer(runtime: ServiceRuntime, stop: asyncio.Event) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=runtime.settings.kafka_bootstrap, acks="all", linger_ms=5
    )
    await producer.start()
    # The settings are read once here, not on every consumed event.
    runtime.extras[REF_KEY] = ReportingSettings().public_ref_key.encode()
    runtime.extras[PRODUCER] = producer
    _ready(runtime).set()
    try:
        await stop.wait()
    finally:
        await producer.stop()


async def _place(runtime: ServiceRuntime, pathway_id: object) -> Place:
    row = await runtime.require_pool().fetchrow(
        "SELECT municipality, cohort FROM report_paths WHERE pathway_id = $1", pathway_id
    )
    return Place(row["municipality"], row["cohort"]) if row else Place(None, None)


async def publish_public(runtime: ServiceRuntime, topic: str, envelope: EventEnvelope) -> None:
    try:
        event = parse_payload(envelope)
    except UnknownEvent:
        return  # an event type this service does not know carries nothing public
    if not isinstance(event, PUBLIC_SOURCES):
        return  # most events (answers, feedback, …): nothing public, no look-up for them
    place = None
    if not isinstance(event, PathwayOpened):  # the opening carries its place itself
        place = await _place(runtime, getattr(event, "pathway_id", None))
    await asyncio.wait_for(_ready(runtime).wait(), timeout=30)
    public = public_event(envelope, event, place, runtime.extras[REF_KEY])
    if public is None:
        return
    destination = public_topic(public.tenant)
    known: set[str] = runtime.extras.setdefault(TOPICS, set())
    if destination not in known:
        await ensure_topics(runtime.settings.kafka_bootstrap, [destination])
        known.add(destination)
    producer: AIOKafkaProducer = runtime.extras[PRODUCER]
    await producer.send_and_wait(
        destination, key=public.path_ref.encode(), value=public.model_dump_json().encode()
    )
