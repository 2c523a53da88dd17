"""What a service's one consumer group does with a batch of admitted events: every projector
in one transaction each, then the policy event by event, in delivery order (decision 0027).

An event a projection or the policy cannot read holds back only its stream (the dead-letter
table); it never fails the batch. Anything else that fails (the database away, a bug) fails
the batch, which is not acknowledged and comes again, after a pause that doubles with each
failure in a row, so a batch that keeps failing neither spins the consumer nor waits long once
the cause is gone. Held streams are tried again at start and then with back-off
(`retry_held_streams`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from opentelemetry.util.types import Attributes

from chassis import tracing
from chassis.dead_letters import PARKED, StreamKey
from chassis.event_reading import Unreadable
from chassis.kafka_wire import CORRELATION_HEADER, header_value
from chassis.logs import correlation_scope, get_logger, parse_correlation_id
from chassis.policy import Policy
from contracts.envelope import EventEnvelope

if TYPE_CHECKING:  # the service module imports this one
    from chassis.service import EventHandler, ServiceRuntime

log = get_logger(__name__)

FIRST_PAUSE = 0.5
LONGEST_PAUSE = 60.0
# Held streams: the first try at start, then every FIRST_SWEEP seconds while nothing stays
# held, doubling up to LONGEST_SWEEP while the same events stay unreadable.
FIRST_SWEEP = 5.0
LONGEST_SWEEP = 600.0

# (record, its envelope, the headers FastStream decoded for it)
Admitted = tuple[Any, EventEnvelope, dict[str, Any]]


def _traced(admitted: Sequence[Admitted]) -> Iterator[tuple[UUID, dict[str, Any], Attributes]]:
    """What `tracing.consuming` needs of each event (read only when tracing is on)."""
    for record, event, headers in admitted:
        attributes = {
            "messaging.system": "kafka",
            "messaging.destination.name": record.topic,
            "digipolku.event_type": event.event_type,
            "digipolku.event_id": str(event.event_id),
        }
        yield event.event_id, headers, attributes


class BatchConsumer:
    def __init__(self, runtime: ServiceRuntime, on_event: EventHandler | Policy | None) -> None:
        self._runtime = runtime
        self._on_event = on_event
        self._failures = 0

    @property
    def policy(self) -> Policy | None:
        return self._on_event if isinstance(self._on_event, Policy) else None

    async def handle(self, admitted: Sequence[Admitted]) -> None:
        # A batch holds events of many commands: each command's events get a consume span in
        # that command's own trace, under which the projectors and the policy work for them
        # (decision 0039); the batch's own span (FastStream's) is linked from each.
        with tracing.consuming("consume events", _traced(admitted)):
            await self._handle(admitted)

    async def _handle(self, admitted: Sequence[Admitted]) -> None:
        items = [(record.topic, event) for record, event, _ in admitted]
        try:
            for projector in self._runtime.projectors:
                await projector.handle_batch(items)
            held = await self._held_by_policy(items)
        except Exception:
            await self._pause()
            raise
        for record, event, headers in admitted:
            correlation_id = parse_correlation_id(header_value(headers, CORRELATION_HEADER))
            with (
                tracing.in_event_trace(event.event_id),
                correlation_scope(
                    correlation_id, event_type=event.event_type, event_id=str(event.event_id)
                ),
            ):
                try:
                    await self._react(record.topic, event, held)
                except Exception:
                    await self._pause()
                    raise
                log.info("event consumed", topic=record.topic)
        self._failures = 0

    async def _held_by_policy(
        self, items: Sequence[tuple[str, EventEnvelope]]
    ) -> dict[StreamKey, int]:
        policy = self.policy
        if policy is None or not items:
            return {}
        keys = sorted({(topic, event.stream_id) for topic, event in items})
        return await policy.held(self._runtime.require_pool(), keys)

    async def _react(self, topic: str, event: EventEnvelope, held: dict[StreamKey, int]) -> None:
        policy = self.policy
        if policy is None:
            if self._on_event is not None:
                await self._on_event(self._runtime, topic, event)
            return
        pool = self._runtime.require_pool()
        key = (topic, event.stream_id)
        head = held.get(key)
        if head is not None and event.stream_version >= head:
            await policy.hold(pool, topic, event, PARKED)  # the head itself: one more attempt
            return
        reading = policy.read(event)
        if isinstance(reading, Unreadable):
            await policy.hold(pool, topic, event, reading.reason)
            held[key] = event.stream_version
        elif reading is not None:
            await policy.react(self._runtime, event, reading)

    async def _pause(self) -> None:
        # The batch is not acknowledged and comes again (the projectors drop what they have
        # applied); the pause keeps a batch that keeps failing from spinning the consumer.
        self._failures += 1
        pause = min(FIRST_PAUSE * 2 ** (self._failures - 1), LONGEST_PAUSE)
        log.exception("event handling failed; will retry", pause_seconds=pause)
        await asyncio.sleep(pause)

    async def retry_held_streams(self, runtime: ServiceRuntime, stop: asyncio.Event) -> None:
        """A background job: apply held streams that can be read now (after an upgrade, at
        start; a gap's missing event parked meanwhile), then again with back-off."""
        delay = FIRST_SWEEP
        rows_before: int | None = None
        while not stop.is_set():
            try:
                released = 0
                for projector in runtime.projectors:
                    released += await projector.retry_held()
                if self.policy is not None:
                    released += await self.policy.retry_held(runtime)
                rows = await runtime.require_pool().fetchval("SELECT count(*) FROM dead_letters")
                stuck = rows > 0 and not released and rows == rows_before
                delay = min(delay * 2, LONGEST_SWEEP) if stuck else FIRST_SWEEP
                rows_before = rows
            except Exception as exc:  # the database away, say: try again later
                log.warning("held streams could not be tried again", error=type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
