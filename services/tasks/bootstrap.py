"""Tasks' parts, made once when the service starts; requests, pages, the consumer and the
calendar find them on the runtime."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from fastapi import Request

from chassis.service import ServiceRuntime, runtime_of
from services.tasks.adapters.command_tables import (
    PostgresCalendars,
    PostgresHeldMeetings,
    PostgresPaths,
    PostgresTexts,
)
from services.tasks.application.handlers import PlanCommands
from services.tasks.application.policies import PlanPolicies
from services.tasks.application.queries import PlanQueries


@dataclass(frozen=True)
class Tasks:
    commands: PlanCommands
    policies: PlanPolicies
    queries: PlanQueries
    pool: asyncpg.Pool


async def bootstrap(runtime: ServiceRuntime) -> Tasks:
    pool = runtime.require_pool()
    pipeline = runtime.require_pipeline()
    paths = PostgresPaths(pool)
    calendars = PostgresCalendars(pool)
    meetings = PostgresHeldMeetings(pool)
    return Tasks(
        commands=PlanCommands(pipeline, paths, calendars, PostgresTexts(pool), meetings),
        policies=PlanPolicies(pipeline, paths, calendars, meetings),
        queries=PlanQueries(pipeline, paths, calendars),
        pool=pool,
    )


def tasks(request: Request) -> Tasks:
    return runtime_of(request).parts_as(Tasks)
