"""The answers guidance has seen, from tasks' TaskAnswered: what feedback can be given on.

Only the facts travel here; the answer's text stays with tasks.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from chassis.event_store import DbConnection
from chassis.projector import Projection, typed
from contracts.envelope import EventEnvelope
from contracts.events.tasks import TaskAnswered


async def _answered(connection: DbConnection, envelope: EventEnvelope, event: TaskAnswered) -> None:
    # An answer id is never reused, so a redelivery (or a rebuild) finds the row already there.
    await connection.execute(
        "INSERT INTO answers_seen (answer_id, pathway_id, task_id, kind, answered_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (answer_id) DO NOTHING",
        event.answer_id,
        event.pathway_id,
        event.task_id,
        event.kind,
        event.answered_at,
    )


async def answer_seen(pool: asyncpg.Pool, pathway_id: UUID, answer_id: UUID) -> bool:
    """True once the answer has arrived and belongs to this path."""
    found = await pool.fetchval(
        "SELECT 1 FROM answers_seen WHERE answer_id = $1 AND pathway_id = $2",
        answer_id,
        pathway_id,
    )
    return found is not None


ANSWERS_SEEN = Projection(
    name="answers_seen",
    tables=["answers_seen"],
    handlers=dict([typed(TaskAnswered, _answered)]),
)
