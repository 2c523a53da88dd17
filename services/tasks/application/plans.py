"""Loading a plan: its events folded, with the days enrolment told tasks about."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

from chassis.auth import Principal
from chassis.errors import NotFound
from chassis.streams import LoadedStream
from chassis.unit_of_work import UnitOfWork
from services.tasks.adapters.plan_access import PlanAccess
from services.tasks.application.ports import Calendars, Paths
from services.tasks.domain.plan import Plan

Load = Callable[[str], Awaitable[LoadedStream]]


async def load_plan(
    load: Load, calendars: Calendars, pathway_id: UUID, work: UnitOfWork | None = None
) -> Plan:
    stream = await load(str(pathway_id))
    plan = Plan.from_history(pathway_id, stream.version, stream.events)
    calendar = await calendars.of(pathway_id, work)
    plan.pauses = list(calendar.pauses)
    plan.ended_on = calendar.ended_on
    return plan


async def load_started_plan(
    load: Load, calendars: Calendars, pathway_id: UUID, work: UnitOfWork | None = None
) -> Plan:
    """The plan a person asks for or acts on; a path whose plan tasks has not started yet
    (its opening is known, its PlanStarted not yet appended: a moment after the opening, or
    longer while the policy that starts it waits out an outage) is not found yet, as it would
    be a moment earlier, never a plan without a curriculum."""
    plan = await load_plan(load, calendars, pathway_id, work)
    if not plan.started:
        raise NotFound("error.not_found")
    return plan


async def require_access(
    paths: Paths, pathway_id: UUID, principal: Principal, *, role: str | None = None
) -> PlanAccess:
    """The path, if the caller may see it (and, given `role`, acts in it as that role);
    otherwise as if it did not exist."""
    access = await paths.access(pathway_id)
    if access is None or not access.allows(principal):
        raise NotFound("error.not_found")
    if role == "client" and principal.role != "client":
        raise NotFound("error.not_found")
    if role == "staff" and not principal.is_staff:
        raise NotFound("error.not_found")
    return access
