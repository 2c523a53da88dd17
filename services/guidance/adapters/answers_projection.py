"""The answers guidance has seen, from tasks' TaskAnswered: what feedback can be given on.

Only the facts travel here; the answer's text stays with tasks. When the client is erased the
rows stay, marked, so that feedback on such an answer is refused as erased, not as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from chassis.event_store import DbConnection
from chassis.projector import Decoded, Projection, batched
from contracts.events.enrolment import ClientDataErased
from contracts.events.tasks import TaskAnswered

# An answer id is never reused, so a redelivery (or a rebuild) finds the row already there.
# In a rebuild the erasure (another topic) may come first: the answer is born erased.
_ANSWERED = """
    INSERT INTO answers_seen (answer_id, pathway_id, task_id, kind, answered_at, erased)
    SELECT a.*, EXISTS (SELECT 1 FROM erased_paths e WHERE e.pathway_id = a.pathway_id)
    FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[])
        AS a (answer_id, pathway_id, task_id, kind, answered_at)
    ON CONFLICT (answer_id) DO NOTHING
"""
_ERASED = "INSERT INTO erased_paths (pathway_id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING"
_MARK_ERASED = "UPDATE answers_seen SET erased = true WHERE pathway_id = ANY($1::uuid[])"


async def write_answers(connection: DbConnection, events: Decoded) -> None:
    """The batch's erasures first, then its answers, one statement each: an answer of a path
    erased in the same batch is born erased, as it is when the erasure came in an earlier
    batch, so the order within the batch does not matter."""
    erased = list({event.pathway_id for _, event in events if isinstance(event, ClientDataErased)})
    if erased:
        await connection.execute(_ERASED, erased)
        await connection.execute(_MARK_ERASED, erased)
    answers = [event for _, event in events if isinstance(event, TaskAnswered)]
    if answers:
        await connection.execute(
            _ANSWERED,
            [a.answer_id for a in answers],
            [a.pathway_id for a in answers],
            [a.task_id for a in answers],
            [a.kind for a in answers],
            [a.answered_at for a in answers],
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
    handlers=batched(TaskAnswered, ClientDataErased),
    apply_batch=write_answers,
)
