"""The dead-letter table of one consumer (a projection or a policy): events it could not read
and the later events of their streams, parked behind them (decision 0027).

A stream is held for a consumer while it has any row here. Holding back only that stream
keeps every other stream going, and keeping the envelopes means nothing is lost although the
Kafka offsets move on. The consumer releases a stream by applying its rows in order once it
can read them (after an upgrade), deleting each as it goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client import Counter

from chassis.event_store import DbConnection
from chassis.logs import get_logger
from contracts.envelope import EventEnvelope

log = get_logger(__name__)

# The reason of an event that waits behind an earlier one of its stream.
PARKED = "parked"

# (source topic, stream id): what a stream is held for, within one consumer.
StreamKey = tuple[str, str]

DEAD_LETTERS = Counter(
    "digipolku_dead_letters_total",
    "Consumed events a consumer could not read and held back with their stream.",
    ["consumer", "event_type"],
)


@dataclass(frozen=True)
class HeldEvent:
    """One row: an event held back, in its stream's order."""

    envelope: EventEnvelope
    reason: str


class DeadLetters:
    """One consumer's rows of the `dead_letters` table."""

    def __init__(self, consumer: str) -> None:
        self.consumer = consumer

    async def held(
        self, connection: DbConnection, keys: Sequence[StreamKey]
    ) -> dict[StreamKey, int]:
        """Which of these streams are held, each with the lowest version held."""
        if not keys:
            return {}
        rows = await connection.fetch(
            "SELECT d.source, d.stream_id, min(d.stream_version) AS head FROM dead_letters d"
            " JOIN unnest($2::text[], $3::text[]) AS k(source, stream_id)"
            " ON d.source = k.source AND d.stream_id = k.stream_id"
            " WHERE d.consumer = $1 GROUP BY d.source, d.stream_id",
            self.consumer,
            [source for source, _ in keys],
            [stream_id for _, stream_id in keys],
        )
        return {(row["source"], row["stream_id"]): row["head"] for row in rows}

    async def hold(
        self, connection: DbConnection, source: str, envelope: EventEnvelope, reason: str
    ) -> None:
        """Record an event held back; seen again, its row counts one more attempt.

        One warning per new event that could not be read (not per redelivery, not per
        event parked behind it), so a poison event shows once in the logs, not in a loop.
        """
        new = await connection.fetchval(
            "INSERT INTO dead_letters (consumer, source, stream_id, stream_version, event_id,"
            " event_type, schema_version, reason, envelope)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            " ON CONFLICT (consumer, source, stream_id, stream_version) DO UPDATE"
            " SET last_seen = now(), attempts = dead_letters.attempts + 1"
            " RETURNING xmax = 0",
            self.consumer,
            source,
            envelope.stream_id,
            envelope.stream_version,
            envelope.event_id,
            envelope.event_type,
            envelope.schema_version,
            reason,
            envelope.model_dump(mode="json"),  # the pool encodes jsonb itself
        )
        if not new:
            return
        where = {
            "consumer": self.consumer,
            "topic": source,
            "stream_id": envelope.stream_id,
            "stream_version": envelope.stream_version,
            "event_id": str(envelope.event_id),
            "event_type": envelope.event_type[:100],
            "schema_version": envelope.schema_version,
        }
        if reason == PARKED:
            log.info("event parked behind an unreadable one of its stream", **where)
        else:
            DEAD_LETTERS.labels(consumer=self.consumer, event_type=envelope.event_type[:100]).inc()
            log.warning("event dead-lettered: its stream is held back", reason=reason, **where)

    async def still_unreadable(
        self, connection: DbConnection, key: StreamKey, version: int, reason: str
    ) -> None:
        """A held event tried again and still not read: one more attempt, the latest reason."""
        await connection.execute(
            "UPDATE dead_letters SET reason = $5, last_seen = now(), attempts = attempts + 1"
            " WHERE consumer = $1 AND source = $2 AND stream_id = $3 AND stream_version = $4",
            self.consumer,
            key[0],
            key[1],
            version,
            reason,
        )

    async def streams(self, connection: DbConnection) -> list[StreamKey]:
        """Every stream held for this consumer."""
        rows = await connection.fetch(
            "SELECT DISTINCT source, stream_id FROM dead_letters WHERE consumer = $1"
            " ORDER BY source, stream_id",
            self.consumer,
        )
        return [(row["source"], row["stream_id"]) for row in rows]

    async def stream(self, connection: DbConnection, key: StreamKey) -> list[HeldEvent]:
        """A held stream's rows in version order, locked until the caller's transaction ends."""
        rows = await connection.fetch(
            "SELECT envelope, reason FROM dead_letters"
            " WHERE consumer = $1 AND source = $2 AND stream_id = $3"
            " ORDER BY stream_version FOR UPDATE",
            self.consumer,
            key[0],
            key[1],
        )
        return [
            HeldEvent(EventEnvelope.model_validate(row["envelope"]), row["reason"]) for row in rows
        ]

    async def release(self, connection: DbConnection, key: StreamKey, version: int) -> None:
        """The event is applied (or was a repeat): its row goes."""
        await connection.execute(
            "DELETE FROM dead_letters"
            " WHERE consumer = $1 AND source = $2 AND stream_id = $3 AND stream_version = $4",
            self.consumer,
            key[0],
            key[1],
            version,
        )

    async def forget(self, connection: DbConnection) -> None:
        """Every row of this consumer: the start of a rebuild, which reads them all again."""
        await connection.execute("DELETE FROM dead_letters WHERE consumer = $1", self.consumer)


async def held_stream_counts(connection: DbConnection) -> dict[str, int]:
    """How many streams each consumer holds back (readiness details)."""
    rows = await connection.fetch(
        "SELECT consumer, count(DISTINCT (source, stream_id)) AS streams FROM dead_letters"
        " GROUP BY consumer ORDER BY consumer"
    )
    return {row["consumer"]: row["streams"] for row in rows}
