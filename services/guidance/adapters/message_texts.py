"""The messages of a path's thread: free text in guidance's database, never on Kafka, erased
with the client's other words (adapters/erasure.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from chassis.event_store import DbConnection
from chassis.unit_of_work import UnitOfWork
from services.guidance.domain.messages import NewMessage, Side


@dataclass(frozen=True)
class PathMessage:
    entry_id: UUID
    from_role: Side
    author_id: str
    body: str
    written_at: datetime
    read_at: datetime | None


async def store_message(connection: DbConnection, message: NewMessage) -> None:
    """Stored in the transaction that records its MessageWaiting: both or neither."""
    await connection.execute(
        "INSERT INTO path_messages"
        " (entry_id, pathway_id, from_role, author_id, body, written_at)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        message.entry_id,
        message.pathway_id,
        message.from_role,
        message.author_id,
        message.body,
        message.written_at,
    )


async def thread_of(pool: asyncpg.Pool, pathway_id: UUID) -> list[PathMessage]:
    rows = await pool.fetch(
        "SELECT entry_id, from_role, author_id, body, written_at, read_at FROM path_messages"
        " WHERE pathway_id = $1 ORDER BY written_at, entry_id",
        pathway_id,
    )
    return [
        PathMessage(
            row["entry_id"],
            row["from_role"],
            row["author_id"],
            row["body"],
            row["written_at"],
            row["read_at"],
        )
        for row in rows
    ]


async def mark_read(pool: asyncpg.Pool, pathway_id: UUID, written_by: Side, at: datetime) -> None:
    """The other side's messages have been read (by the client, or by one of the counselors)."""
    await pool.execute(
        "UPDATE path_messages SET read_at = $3"
        " WHERE pathway_id = $1 AND from_role = $2 AND read_at IS NULL",
        pathway_id,
        written_by,
        at,
    )


async def unread_count(pool: asyncpg.Pool, pathway_id: UUID, written_by: Side) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM path_messages"
        " WHERE pathway_id = $1 AND from_role = $2 AND read_at IS NULL",
        pathway_id,
        written_by,
    )
    return count


class PostgresMessages:
    """The PostgreSQL side of `application.message_handlers.MessageTexts`."""

    async def keep_message(self, work: UnitOfWork, message: NewMessage) -> None:
        await store_message(work.connection, message)
