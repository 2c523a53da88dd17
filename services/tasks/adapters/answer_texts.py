"""The client's own words: answer texts and drafts, kept apart from the events so that they
can be erased without rewriting history."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from chassis.event_store import DbConnection

# A draft may hold more than an answer may (the client shortens it before sending).
MAX_DRAFT_LENGTH = 20_000


async def save_draft(pool: asyncpg.Pool, pathway_id: UUID, task_id: str, body: str) -> None:
    await pool.execute(
        "INSERT INTO answer_drafts (pathway_id, task_id, body) VALUES ($1, $2, $3)"
        " ON CONFLICT (pathway_id, task_id) DO UPDATE SET body = $3, updated_at = now()",
        pathway_id,
        task_id,
        body[:MAX_DRAFT_LENGTH],
    )


async def load_draft(pool: asyncpg.Pool, pathway_id: UUID, task_id: str) -> str | None:
    value = await pool.fetchval(
        "SELECT body FROM answer_drafts WHERE pathway_id = $1 AND task_id = $2",
        pathway_id,
        task_id,
    )
    return value if isinstance(value, str) else None


async def store_answer(
    connection: DbConnection, answer_id: UUID, pathway_id: UUID, task_id: str, body: str
) -> None:
    """The sent answer replaces the draft, in the transaction that records TaskAnswered."""
    await connection.execute(
        "INSERT INTO answer_texts (answer_id, pathway_id, task_id, body) VALUES ($1, $2, $3, $4)",
        answer_id,
        pathway_id,
        task_id,
        body,
    )
    await connection.execute(
        "DELETE FROM answer_drafts WHERE pathway_id = $1 AND task_id = $2", pathway_id, task_id
    )


async def load_answer(pool: asyncpg.Pool, answer_id: UUID) -> str | None:
    value = await pool.fetchval("SELECT body FROM answer_texts WHERE answer_id = $1", answer_id)
    return value if isinstance(value, str) else None


async def load_answers_of(pool: asyncpg.Pool, pathway_id: UUID) -> dict[UUID, str]:
    """Every sent answer text of a path, by answer id."""
    rows = await pool.fetch(
        "SELECT answer_id, body FROM answer_texts WHERE pathway_id = $1", pathway_id
    )
    return {row["answer_id"]: row["body"] for row in rows}


async def load_direction_reason(pool: asyncpg.Pool, pathway_id: UUID) -> str | None:
    """The client's latest reason for their direction, in their words."""
    value = await pool.fetchval(
        "SELECT body FROM direction_reasons WHERE pathway_id = $1 ORDER BY created_at DESC LIMIT 1",
        pathway_id,
    )
    return value if isinstance(value, str) else None
