"""Tasks' parts, made once when the service starts; requests, pages, the consumer and the
calendar find them on the runtime."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from fastapi import Request

from chassis.kafka_security import kafka_security
from chassis.logs import get_logger
from chassis.rebuild import rebuild
from chassis.service import ServiceRuntime, runtime_of
from contracts.topics import ENROLMENT_EVENTS, GUIDANCE_EVENTS
from services.tasks.adapters.command_tables import (
    PostgresCalendars,
    PostgresHeldMeetings,
    PostgresPaths,
    PostgresTexts,
)
from services.tasks.application.handlers import PlanCommands
from services.tasks.application.policies import PlanPolicies
from services.tasks.application.queries import PlanQueries

log = get_logger(__name__)
# The topics tasks' consumer reads (the service's spec subscribes to these).
SUBSCRIBED = (ENROLMENT_EVENTS, GUIDANCE_EVENTS)


@dataclass(frozen=True)
class Tasks:
    commands: PlanCommands
    policies: PlanPolicies
    queries: PlanQueries
    pool: asyncpg.Pool


async def bootstrap(runtime: ServiceRuntime) -> Tasks:
    pool = runtime.require_pool()
    await rebuild_untracked(runtime, pool)
    pipeline = runtime.require_pipeline()
    paths = PostgresPaths(pool)
    calendars = PostgresCalendars(pool)
    meetings = PostgresHeldMeetings(pool)
    return Tasks(
        commands=PlanCommands(pipeline, paths, calendars, PostgresTexts(pool), meetings),
        policies=PlanPolicies(pipeline, calendars),
        queries=PlanQueries(pipeline, paths, calendars),
        pool=pool,
    )


async def rebuild_untracked(runtime: ServiceRuntime, pool: asyncpg.Pool) -> None:
    """A read model written before it was a tracked projection (rows, no tracking) is made
    again from the topics: left as it was, its streams' next events would be held back as
    if their earlier ones had not arrived."""
    for projector in runtime.projectors:
        if await projector.tracks_anything():
            continue
        table = projector.projection.tables[0]
        if await pool.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
            log.warning("rebuilding an untracked projection", projection=table)
            await rebuild(
                projector,
                runtime.settings.kafka_bootstrap,
                SUBSCRIBED,
                security=kafka_security(runtime.settings),
                service="tasks",
            )


def tasks(request: Request) -> Tasks:
    return runtime_of(request).parts_as(Tasks)
