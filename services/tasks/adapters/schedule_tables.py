"""The tables behind the schedule: a path's pauses and its next calendar opening."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg

from chassis.event_store import DbConnection
from services.tasks.domain.curriculum import WEEKS
from services.tasks.domain.plan import Plan
from services.tasks.domain.schedule import Pause


async def load_pauses(connection: DbConnection | asyncpg.Pool, pathway_id: UUID) -> list[Pause]:
    rows = await connection.fetch(
        "SELECT paused_on, resumed_on FROM plan_pauses WHERE pathway_id = $1 ORDER BY paused_on",
        pathway_id,
    )
    return [Pause(row["paused_on"], row["resumed_on"]) for row in rows]


async def load_ending(connection: DbConnection | asyncpg.Pool, pathway_id: UUID) -> date | None:
    """The day the path was completed or discontinued, if it has ended."""
    value = await connection.fetchval(
        "SELECT ended_on FROM plan_endings WHERE pathway_id = $1", pathway_id
    )
    return value if isinstance(value, date) else None


async def save_next_opening(connection: DbConnection, plan: Plan) -> None:
    """Keep the path's row in week_schedule in step with its plan (none once it has ended)."""
    if not plan.started:
        return
    if plan.opened_week >= WEEKS or plan.ended:
        await connection.execute("DELETE FROM week_schedule WHERE pathway_id = $1", plan.pathway_id)
        return
    upcoming = plan.next_calendar_opening()  # None while a pause goes on
    week, opens_on = upcoming if upcoming is not None else (plan.opened_week + 1, None)
    # An ending that arrived meanwhile is not undone by a plan loaded before it.
    await connection.execute(
        "INSERT INTO week_schedule (pathway_id, next_week, opens_on) SELECT $1, $2, $3"
        " WHERE NOT EXISTS (SELECT 1 FROM plan_endings WHERE pathway_id = $1)"
        " ON CONFLICT (pathway_id) DO UPDATE"
        " SET next_week = excluded.next_week, opens_on = excluded.opens_on",
        plan.pathway_id,
        week,
        opens_on,
    )


async def due_pathways(pool: asyncpg.Pool, today: date, limit: int) -> list[tuple[UUID, str]]:
    """Paths with a week due to open by `today`, with their tenant, the most overdue first."""
    rows = await pool.fetch(
        "SELECT s.pathway_id, a.tenant FROM week_schedule s"
        " JOIN plan_access a USING (pathway_id)"
        " WHERE s.opens_on <= $1 ORDER BY s.opens_on LIMIT $2",
        today,
        limit,
    )
    return [(row["pathway_id"], row["tenant"]) for row in rows]
