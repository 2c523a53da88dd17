"""The answers guidance has seen, from tasks' TaskAnswered: what feedback can be given on.

Only the facts travel here; the answer's text stays with tasks. When the client is erased the
rows stay, marked, so that feedback on such an answer is refused as erased, not as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from chassis.event_store import DbConnection
from chassis.projector import Projection, typed
from contracts.envelope import EventEnvelope
from contracts.events.enrolment import ClientDataErased
from contracts.events.tasks import TaskAnswered


async def _answered(connection: DbConnection, envelope: EventEnvelope, event: TaskAnswered) -> None:
    # An answer id is never reused, so a redelivery (or a rebuild) finds the row already there.
    # In a rebuild the erasure (another topic) may come first: the answer is born erased.
    await connection.execute(
        "INSERT INTO answers_seen (answer_id, pathway_id, task_id, kind, answered_at, erased)"
        " VALUES ($1, $2, $3, $4, $5,"
        " EXISTS (SELECT 1 FROM erased_paths WHERE pathway_id = $2))"
        " ON CONFLICT (answer_id) DO NOTHING",
        event.answer_id,
        event.pathway_id,
        event.task_id,
        event.kind,
        event.answered_at,
    )


async def _erased(
    connection: DbConnection, envelope: EventEnvelope, event: ClientDataErased
) -> None:
    await connection.execute(
        "INSERT INTO erased_paths (pathway_id) VALUES ($1) ON CONFLICT DO NOTHING",
        event.pathway_id,
    )
    await connection.execute(
        "UPDATE answers_seen SET erased = true WHERE pathway_id = $1", event.pathway_id
    )


@dataclass(frozen=True)
class SeenAnswer:
    answer_id: UUID
    erased: bool


async def answer_seen(pool: asyncpg.Pool, pathway_id: UUID, answer_id: UUID) -> SeenAnswer | None:
    """The answer once it has arrived and if it belongs to this path."""
    erased = await pool.fetchval(
        "SELECT erased FROM answers_seen WHERE answer_id = $1 AND pathway_id = $2",
        answer_id,
        pathway_id,
    )
    return None if erased is None else SeenAnswer(answer_id, erased)


class PostgresAnswers:
    """The answers as guidance has seen them (`application.ports.Answers`)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def seen(self, pathway_id: UUID, answer_id: UUID) -> SeenAnswer | None:
        return await answer_seen(self._pool, pathway_id, answer_id)


ANSWERS_SEEN = Projection(
    name="answers_seen",
    tables=["answers_seen", "erased_paths"],
    handlers=dict([typed(TaskAnswered, _answered), typed(ClientDataErased, _erased)]),
)
