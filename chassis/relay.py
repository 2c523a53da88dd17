"""The relay: publishes a store's events (or an outbox's messages) to Kafka in their order,
at least once.

It reads after its saved position, sends a batch, waits until the broker has acknowledged
every message of it, and only then saves the new position. A crash between sending and saving
sends the batch again on restart; consumers drop those duplicates by stream version.

Of several relays of one store (one per replica of a service) only the holder of the store's
advisory lock publishes (chassis.relay_leader). The relay also remembers the broker offsets it
was given, and publishes the store again from the start when the broker has lost what it had
acknowledged (chassis.broker_watch; decision 0026).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry.trace import Span, SpanKind

from chassis import tracing
from chassis.broker_watch import (
    EndOffsets,
    Offsets,
    acknowledge_round,
    from_json,
    lost_topics,
    to_json,
)
from chassis.event_store import GlobalPosition, StoredEvent
from chassis.kafka_wire import declared_partition, encode_event, event_headers
from chassis.logs import get_logger
from chassis.relay_leader import RelayLeadership

log = get_logger(__name__)

TopicChooser = Callable[[StoredEvent], list[str]]


@dataclass(frozen=True)
class Outgoing:
    """One Kafka message the relay sends."""

    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class Positioned(Protocol):
    @property
    def position(self) -> GlobalPosition: ...


Item = TypeVar("Item", bound=Positioned)
Item_co = TypeVar("Item_co", bound=Positioned, covariant=True)


class RelaySource(Protocol[Item_co]):
    """What a relay reads: rows in commit order after a position (an event store, an outbox)."""

    @property
    def pool(self) -> asyncpg.Pool: ...

    async def read_all(self, after: GlobalPosition, limit: int = 1000) -> Sequence[Item_co]: ...


MessageMaker = Callable[[Item], Iterable[Outgoing]]


def event_messages(topics: TopicChooser) -> MessageMaker[StoredEvent]:
    """A stored event as the internal topics carry it: the envelope, keyed by its stream."""

    def messages(stored: StoredEvent) -> list[Outgoing]:
        envelope = stored.envelope
        key = envelope.stream_id.encode()
        value = encode_event(envelope)
        headers = event_headers(envelope)
        if stored.trace_context is not None:
            # The append's context; a traced relay puts its publish span's there instead.
            headers.append((tracing.TRACEPARENT, stored.trace_context.encode()))
        return [Outgoing(topic, key, value, headers) for topic in topics(stored)]

    return messages


def _traceparent(span: Span) -> str:
    return tracing.traceparent_of(span.get_span_context())


def _carrying(message: Outgoing, traceparent: str) -> Outgoing:
    """The message with the publish span's context where it carried its writer's (messages
    that leave the platform carry none: their headers are theirs)."""
    if tracing.traceparent_header(message.headers) is None:
        return message
    headers = tracing.with_traceparent(message.headers, traceparent)
    return Outgoing(message.topic, message.key, message.value, headers)


MAX_RETRY_DELAY = 30.0


def retry_delay(failures: int) -> float:
    """Seconds to wait after the n-th failure in a row: 1, 2, 4, … up to 30."""
    return min(MAX_RETRY_DELAY, 2.0 ** (failures - 1))


class RelayCheckpoints:
    """The relay's saved position and the broker offsets it had confirmed, in the same
    database as the store it reads."""

    def __init__(self, pool: asyncpg.Pool, relay_name: str) -> None:
        self._pool = pool
        self._name = relay_name

    async def load(self) -> GlobalPosition:
        position, _ = await self.load_state()
        return position

    async def load_state(self) -> tuple[GlobalPosition, Offsets]:
        row = await self._pool.fetchrow(
            "SELECT tx_id::text::bigint AS tx_id, position, broker_offsets::text AS offsets"
            " FROM relay_checkpoints WHERE relay_name = $1",
            self._name,
        )
        if row is None:
            return GlobalPosition.start(), {}
        return GlobalPosition(row["tx_id"], row["position"]), from_json(json.loads(row["offsets"]))

    async def save(
        self,
        position: GlobalPosition,
        offsets: Offsets | None = None,
        *,
        connection: asyncpg.Connection | None = None,
    ) -> None:
        """Save the position (and the offsets, when given). The leader passes its lock's
        connection, so a relay that has lost the lock cannot write (chassis.relay_leader)."""
        saved = None if offsets is None else json.dumps(to_json(offsets))
        await (connection or self._pool).execute(
            "INSERT INTO relay_checkpoints (relay_name, tx_id, position, broker_offsets)"
            " VALUES ($1, $2::text::xid8, $3, coalesce($4::text::jsonb, '{}'))"
            " ON CONFLICT (relay_name) DO UPDATE"
            " SET tx_id = EXCLUDED.tx_id, position = EXCLUDED.position,"
            " broker_offsets = coalesce($4::text::jsonb, relay_checkpoints.broker_offsets),"
            " updated_at = now()",
            self._name,
            str(position.tx_id),
            position.position,
            saved,
        )


TopicsRecreator = Callable[[list[str]], Awaitable[object]]


class Relay(Generic[Item]):
    """Publishes one source's rows; with a `leadership`, only while it holds the source's
    lock; with `end_offsets`, it checks every `check_seconds` (and after a failure) that the
    broker still has what it acknowledged, and publishes everything again when it has not,
    after `recreate_topics` has made the lost topics again from their declaration. The same
    `recreate_topics` makes each topic before this relay first sends to it, so a topic that
    appears with the data (a new tenant's public topic) gets its declared configuration
    rather than whatever a broker's auto-creation would give it."""

    def __init__(
        self,
        source: RelaySource[Item],
        producer: AIOKafkaProducer,
        messages: MessageMaker[Item],
        *,
        name: str,
        batch_size: int = 500,
        idle_seconds: float = 0.05,
        leadership: RelayLeadership | None = None,
        end_offsets: EndOffsets | None = None,
        recreate_topics: TopicsRecreator | None = None,
        check_seconds: float = 2.0,
        standby_seconds: float = 1.0,
        own_topics: Sequence[str] = (),
        check_before_each_batch: bool = False,
    ) -> None:
        self._source = source
        self._producer = producer
        self._messages = messages
        self._checkpoints = RelayCheckpoints(source.pool, name)
        self._attrs = {"messaging.system": "kafka", "digipolku.relay": name}
        self._batch_size = batch_size
        self._idle_seconds = idle_seconds
        self._leadership = leadership
        self._end_offsets = end_offsets
        self._recreate_topics = recreate_topics
        self._check_seconds = check_seconds
        self._standby_seconds = standby_seconds
        # Checked too when nothing was acknowledged on them yet: a broker that forgot a topic
        # this relay has not written gets it back, or its consumers wait on it for ever.
        self._own_topics = tuple(own_topics)
        # Readers without versions to order by (the public's subscribers) need it: a broker
        # that restarted empty between two periodic checks would otherwise take the next
        # batch at the head of its new log, before the refill of everything earlier.
        self._check_each_batch = check_before_each_batch
        self._position: GlobalPosition | None = None
        self._offsets: Offsets = {}
        self._made_topics: set[str] = set()
        self._leading = leadership is None
        self._confirmed_at = -1e9
        self.name = name
        # Whether its loop runs (readiness' relay check): False before start and after a stop.
        self.running = False
        self.published = 0
        self.broker_losses = 0
        self.last_broker_loss: datetime | None = None

    def status(self) -> dict[str, object]:
        """What readiness shows: whether this relay leads, what it did, when the broker last
        forgot."""
        return {
            "role": "leader" if self._leading else "standby",
            "published": self.published,
            "broker_losses": self.broker_losses,
            "last_broker_loss": None
            if self.last_broker_loss is None
            else self.last_broker_loss.isoformat(),
        }

    async def publish_batch(self) -> int:
        """Publish the next batch; returns how many events it held (0 when caught up)."""
        if self._position is None:
            self._position, self._offsets = await self._checkpoints.load_state()
        batch = await self._source.read_all(self._position, limit=self._batch_size)
        if not batch:
            return 0
        if self._check_each_batch and await self.check_broker():
            return len(batch)  # publishing again from the start, this batch in its turn
        spans, outgoing = self._outgoing(batch)
        try:
            await self._make_topics({message.topic for message in outgoing})
            deliveries = [
                await self._producer.send(
                    message.topic,
                    value=message.value,
                    key=message.key,
                    partition=declared_partition(message.topic, message.key),
                    headers=message.headers,
                )
                for message in outgoing
            ]
            acknowledged = await asyncio.gather(*deliveries)
        except BaseException as error:
            tracing.end_all(spans, error)
            raise
        tracing.end_all(spans)  # a publish lasts until the broker has acknowledged it
        self.published += len(batch)
        forgotten = acknowledge_round(
            self._offsets, ((m.topic, m.partition, m.offset) for m in acknowledged)
        )
        if forgotten:
            await self._publish_again(forgotten, "an offset below one acknowledged before")
            return len(batch)
        self._position = batch[-1].position
        await self._save()
        return len(batch)

    def _outgoing(self, batch: Sequence[Item]) -> tuple[list[Span], list[Outgoing]]:
        """The batch's messages, and with tracing on a publish span for each append among
        them that kept its trace context (decision 0039): a child of that context, whose own
        context the append's messages carry where they carried the append's. One span per
        append, not per event: an append's events share their context and their fate."""
        if not tracing.enabled():
            return [], [message for item in batch for message in self._messages(item)]
        publishing: dict[str, tuple[Span, str] | None] = {}
        outgoing: list[Outgoing] = []
        for item in batch:
            messages = self._messages(item)
            stored: str | None = getattr(item, "trace_context", None)
            if stored is None:
                outgoing.extend(messages)
                continue
            if stored not in publishing:
                span = tracing.start_child("relay publish", stored, SpanKind.PRODUCER, self._attrs)
                publishing[stored] = None if span is None else (span, _traceparent(span))
            started = publishing[stored]
            if started is None:  # a context that names no parent
                outgoing.extend(messages)
            else:
                outgoing.extend(_carrying(message, started[1]) for message in messages)
        return [started[0] for started in publishing.values() if started is not None], outgoing

    async def _make_topics(self, topics: set[str]) -> None:
        new = sorted(topics - self._made_topics)
        if new and self._recreate_topics is not None:
            await self._recreate_topics(new)
        self._made_topics.update(new)

    async def check_broker(self) -> bool:
        """Compare the broker's end offsets with the acknowledged ones; on a loss, start
        publishing again from the start. True when the broker had lost something."""
        if self._end_offsets is None:
            return False
        if self._position is None:
            self._position, self._offsets = await self._checkpoints.load_state()
        if not self._offsets and not self._own_topics:
            return False
        ends = await self._end_offsets.end_offsets({*self._offsets, *self._own_topics})
        lost = lost_topics(self._offsets, ends)
        if lost:
            await self._publish_again(lost, "end offsets below the acknowledged ones")
        missing = [t for t in self._own_topics if ends.get(t) is None and t not in lost]
        if missing and self._recreate_topics is not None:
            log.warning("a topic of this relay is gone; creating it again", topics=missing)
            await self._recreate_topics(missing)
        return bool(lost)

    async def _publish_again(self, topics: list[str], sign: str) -> None:
        self.broker_losses += 1
        self.last_broker_loss = datetime.now(UTC)
        log.warning(
            "the broker lost events it had acknowledged; publishing the store again",
            topics=topics,
            sign=sign,
            broker_losses=self.broker_losses,
        )
        if self._recreate_topics is not None:
            await self._recreate_topics(topics)
        self._made_topics.update(topics)
        # Saved at once: a relay that dies during the refill goes on with it, instead of
        # trusting offsets the broker no longer has.
        self._position, self._offsets = GlobalPosition.start(), {}
        await self._save()

    async def _save(self) -> None:
        assert self._position is not None
        connection = None if self._leadership is None else self._leadership.connection
        await self._checkpoints.save(self._position, self._offsets, connection=connection)

    async def _lead(self) -> bool:
        """Whether this relay may publish now; a standby tries for the lock, a leader
        confirms its lock's connection at most once per `standby_seconds`."""
        if self._leadership is None:
            return True
        now = asyncio.get_running_loop().time()
        if (
            self._leading
            and self._leadership.held
            and now - self._confirmed_at < self._standby_seconds
        ):
            return True
        leading = await self._leadership.try_lead()
        self._confirmed_at = now
        if leading != self._leading:
            log.info("relay leads" if leading else "relay stands by")
            self._position = None  # a new leader starts from the saved state
        self._leading = leading
        return leading

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; sleep briefly whenever there is nothing new (or this
        relay stands by), and let another relay lead at once when it stops."""
        log.info("relay started")
        self.running = True
        loop = asyncio.get_running_loop()
        failures = 0
        next_check = 0.0
        try:
            while not stop.is_set():
                if not await self._lead():
                    await _pause(stop, self._standby_seconds)
                    next_check = 0.0  # a new leader checks the broker first
                    continue
                try:
                    if self._end_offsets is not None and loop.time() >= next_check:
                        next_check = loop.time() + self._check_seconds
                        await self.check_broker()
                    sent = await self.publish_batch()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The broker or the database is away, or the lock went with its
                    # connection: keep the position and try again, less often the longer it
                    # lasts, and stop at once when asked to. The traceback is logged once per
                    # outage, not once per retry.
                    failures += 1
                    if failures == 1:
                        log.exception("relay batch failed; retrying")
                    else:
                        log.warning("relay batch failed again", failures=failures)
                    self._position = None
                    next_check = 0.0  # after a failure, see whether the broker forgot
                    self._confirmed_at = -1e9  # and whether this relay still leads
                    await self._lead()
                    await _pause(stop, retry_delay(failures))
                    continue
                if failures:
                    log.info("relay recovered", failures=failures)
                    failures = 0
                if sent < self._batch_size:
                    await _pause(stop, self._idle_seconds)
        finally:
            self.running = False
            if self._leadership is not None:
                await self._leadership.release()
            self._leading = self._leadership is None
        log.info("relay stopped", published=self.published)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
