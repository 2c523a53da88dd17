"""The calendar: records WeekOpened for every week whose day has come.

It runs inside the tasks service, wakes every `interval` seconds (and at once on start), and
asks the week_schedule table which paths are due, so a tick with nothing due costs one indexed
query. Two instances may run at once: each week's opening has its own idempotency key, and a
version conflict means another instance got there first.
"""

from __future__ import annotations

import asyncio
from datetime import date
from uuid import UUID, uuid4

import asyncpg

from chassis.clock import helsinki_today
from chassis.event_store import ConcurrencyConflict
from chassis.logs import get_logger
from chassis.periodic import every
from chassis.service import ServiceRuntime
from chassis.streams import CommandContext
from contracts.envelope import Actor
from services.tasks.adapters.schedule_tables import due_pathways
from services.tasks.application.policies import PlanPolicies
from services.tasks.bootstrap import Tasks

log = get_logger(__name__)

CALENDAR_ACTOR = Actor(role="system", id="tasks-calendar")
BATCH = 200


async def open_due_weeks_once(pool: asyncpg.Pool, policies: PlanPolicies, today: date) -> int:
    """One pass over the paths due by `today`; returns how many weeks it opened."""
    opened = 0
    seen: set[UUID] = set()
    while True:
        due = [(p, t) for p, t in await due_pathways(pool, today, BATCH) if p not in seen]
        if not due:
            return opened
        for pathway_id, tenant in due:
            seen.add(pathway_id)
            context = CommandContext(actor=CALENDAR_ACTOR, tenant=tenant, correlation_id=uuid4())
            try:
                opened += await policies.open_due(pathway_id, today, context)
            except ConcurrencyConflict:
                log.info("week opening raced", pathway_id=str(pathway_id))


async def run_week_scheduler(runtime: ServiceRuntime, stop: asyncio.Event) -> None:

    async def tick() -> None:
        parts = runtime.parts_as(Tasks)
        opened = await open_due_weeks_once(parts.pool, parts.policies, helsinki_today())
        if opened:
            log.info("weeks opened by the calendar", weeks=opened)

    # A database hiccup must not end the calendar; the next tick tries again.
    await every(
        runtime.settings.week_scheduler_seconds, stop, tick, failed="week scheduler tick failed"
    )
