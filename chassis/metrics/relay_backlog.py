"""A relay's backlog: the rows of its source not yet published, and the age of the oldest.

Read from the relay's saved position (`relay_checkpoints`), which the leader writes after each
acknowledged batch, so every replica sees the same backlog whether its relay leads or stands
by: a standby reports it too, and a leader that is stuck (paused, partitioned) shows up as a
growing backlog on the replicas that can still answer (decision 0040).

Two index range reads per sample, never per batch: the count walks the (tx_id, position)
index after the position and stops at `COUNT_CAP`, so a relay refilling a whole store after a
broker loss costs a bounded read; the oldest row is the first one in commit order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from chassis.clock import utc_now

# Beyond this the count says "at least this many": enough for any alert, cheap at any size.
COUNT_CAP = 100_000


@dataclass(frozen=True)
class BacklogSource:
    """Where a relay reads: its table, and the column that says when a row was made. An
    event's `occurred_at` is business time (chassis.clock); the outbox's `recorded_at` is the
    database's real time."""

    table: str
    made_at: str
    business_time: bool


EVENT_STORE = BacklogSource("events", "occurred_at", business_time=True)
OUTBOX = BacklogSource("outbox", "recorded_at", business_time=False)


@dataclass(frozen=True)
class Backlog:
    events: int
    seconds: float


async def relay_backlog(
    pool: asyncpg.Pool, relay_name: str, source: BacklogSource, now: datetime | None = None
) -> Backlog:
    """The rows after the relay's saved position (all of them before its first save)."""
    async with pool.acquire() as connection:
        saved = await connection.fetchrow(
            "SELECT tx_id::text AS tx_id, position FROM relay_checkpoints WHERE relay_name = $1",
            relay_name,
        )
        tx_id, position = ("0", 0) if saved is None else (saved["tx_id"], saved["position"])
        after = f"({source.table}.tx_id, {source.table}.position) > ($1::text::xid8, $2)"
        count = await connection.fetchval(
            f"SELECT count(*) FROM (SELECT 1 FROM {source.table} WHERE {after}"
            f" ORDER BY {source.table}.tx_id, {source.table}.position LIMIT $3) AS waiting",
            tx_id,
            position,
            COUNT_CAP,
        )
        oldest: datetime | None = await connection.fetchval(
            f"SELECT {source.made_at} FROM {source.table} WHERE {after}"
            f" ORDER BY {source.table}.tx_id, {source.table}.position LIMIT 1",
            tx_id,
            position,
        )
    if oldest is None:
        return Backlog(int(count), 0.0)
    current = now or (utc_now() if source.business_time else datetime.now(UTC))
    return Backlog(int(count), round(max(0.0, (current - oldest).total_seconds()), 1))
