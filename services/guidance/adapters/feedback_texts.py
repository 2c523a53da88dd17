"""The counselor's own words: feedback texts, kept apart from the events so that they can be
erased without rewriting history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from chassis.event_store import DbConnection


@dataclass(frozen=True)
class FeedbackText:
    feedback_id: UUID
    answer_id: UUID
    body: str
    given_at: datetime


async def store_feedback(
    connection: DbConnection,
    feedback_id: UUID,
    pathway_id: UUID,
    answer_id: UUID,
    counselor_id: str,
    body: str,
    given_at: datetime,
) -> None:
    """Stored in the transaction that records FeedbackGiven: both or neither."""
    await connection.execute(
        "INSERT INTO feedback_texts"
        " (feedback_id, pathway_id, answer_id, counselor_id, body, given_at)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        feedback_id,
        pathway_id,
        answer_id,
        counselor_id,
        body,
        given_at,
    )


async def feedback_of(pool: asyncpg.Pool, pathway_id: UUID) -> list[FeedbackText]:
    rows = await pool.fetch(
        "SELECT feedback_id, answer_id, body, given_at FROM feedback_texts"
        " WHERE pathway_id = $1 ORDER BY given_at, feedback_id",
        pathway_id,
    )
    return [
        FeedbackText(row["feedback_id"], row["answer_id"], row["body"], row["given_at"])
        for row in rows
    ]
