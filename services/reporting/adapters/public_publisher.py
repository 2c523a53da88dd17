"""Publishing the public events: each tenant's on its own topic, keyed by the path's ref.

Runs as reporting's policy on every consumed event, after the projections: the path's place
comes from reporting's own read model. The public event goes into reporting's outbox, and the
outbox's relay publishes it (decision 0030): a broker that forgets the public topics gets them
again from there. The public event id is the same each time an internal event is delivered,
so a redelivery adds nothing to the outbox, and subscribers drop what a republishing repeats.
"""

from __future__ import annotations

import asyncpg

from chassis.outbox import Outbox, OutboxMessage
from chassis.versioned_keys import VersionedKey
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from contracts.events.enrolment import PathwayOpened
from contracts.registry import UnknownEvent, parse_payload
from contracts.topics import public_topic
from services.reporting.domain.public_events import PUBLIC_SOURCES, Place, public_event


class PublicPublisher:
    """Made once at start, with the service's pool and outbox."""

    def __init__(self, ref_key: VersionedKey, pool: asyncpg.Pool, outbox: Outbox) -> None:
        self._ref_key = ref_key
        self._pool = pool
        self._outbox = outbox

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
        public = public_event(envelope, event, place, self._ref_key)
        if public is None:
            return
        await self._outbox.add(
            OutboxMessage(
                public.event_id,
                public_topic(public.tenant),
                public.path_ref.encode(),
                public.model_dump_json().encode(),
            )
        )
