"""The PostgreSQL side of tasks' command ports (application/ports.py).

Writes go through `work.connection`, the command's own transaction; reads outside a command
go to the pool.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from chassis.event_store import DbConnection
from chassis.unit_of_work import UnitOfWork
from services.tasks.adapters.answer_texts import save_draft, store_answer
from services.tasks.adapters.plan_access import PlanAccess, find_access
from services.tasks.adapters.schedule_tables import load_ending, load_pauses, save_next_opening
from services.tasks.application.ports import PathCalendar
from services.tasks.domain.curriculum import Direction
from services.tasks.domain.plan import Plan


class PostgresPaths:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def access(self, pathway_id: UUID) -> PlanAccess | None:
        return await find_access(self._pool, pathway_id)


class PostgresCalendars:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def of(self, pathway_id: UUID, work: UnitOfWork | None = None) -> PathCalendar:
        source: DbConnection | asyncpg.Pool = (
            work.connection if work is not None and work.has_connection else self._pool
        )
        return PathCalendar(
            pauses=await load_pauses(source, pathway_id),
            ended_on=await load_ending(source, pathway_id),
        )

    async def keep_next_opening(self, work: UnitOfWork, plan: Plan) -> None:
        await save_next_opening(work.connection, plan)


class PostgresTexts:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def keep_answer(
        self, work: UnitOfWork, answer_id: UUID, pathway_id: UUID, task_id: str, body: str
    ) -> None:
        await store_answer(work.connection, answer_id, pathway_id, task_id, body)

    async def keep_reason(
        self, work: UnitOfWork, pathway_id: UUID, direction: Direction, body: str
    ) -> None:
        await work.connection.execute(
            "INSERT INTO direction_reasons (pathway_id, direction, body) VALUES ($1, $2, $3)",
            pathway_id,
            direction,
            body,
        )

    async def keep_draft(self, pathway_id: UUID, task_id: str, body: str) -> None:
        await save_draft(self._pool, pathway_id, task_id, body)


class PostgresHeldMeetings:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def held(self, pathway_id: UUID, task_id: str) -> bool:
        found = await self._pool.fetchval(
            "SELECT 1 FROM held_meetings WHERE pathway_id = $1 AND task_id = $2",
            pathway_id,
            task_id,
        )
        return found is not None
