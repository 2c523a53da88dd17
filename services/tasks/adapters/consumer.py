"""What the tasks service does with other contexts' events."""

from __future__ import annotations

from chassis.clock import helsinki_today
from chassis.service import ServiceRuntime
from chassis.streams import CommandContext, EventStreams
from contracts.envelope import Actor, EventEnvelope
from contracts.events.enrolment import (
    ClientDataErased,
    CounselorAssigned,
    PathwayCompleted,
    PathwayDiscontinued,
    PathwayOpened,
    PathwayPaused,
    PathwayResumed,
)
from contracts.events.guidance import GuidanceMeetingHeld
from contracts.registry import parse_payload
from services.tasks.adapters.erasure import erase_client_text
from services.tasks.adapters.plan_access import find_access, set_counselors
from services.tasks.application.handlers import TasksHandlers

SERVICE_ACTOR = Actor(role="system", id="tasks")


async def on_event(runtime: ServiceRuntime, topic: str, envelope: EventEnvelope) -> None:
    event = parse_payload(envelope)
    pool = runtime.require_pool()
    if isinstance(event, PathwayOpened):
        context = CommandContext(
            actor=SERVICE_ACTOR,
            tenant=envelope.tenant,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.event_id,
            idempotency_key=f"start-plan:{event.pathway_id}",
        )
        handlers = TasksHandlers(EventStreams(runtime.require_store()), pool)
        await handlers.start_plan_for(event, context, helsinki_today())
    elif isinstance(event, GuidanceMeetingHeld):
        context = CommandContext(
            actor=SERVICE_ACTOR,
            tenant=envelope.tenant,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.event_id,
            idempotency_key=f"meeting-held:{event.meeting_id}",
        )
        await TasksHandlers(EventStreams(runtime.require_store()), pool).meeting_held(
            event, context
        )
    elif isinstance(event, PathwayPaused):
        await TasksHandlers(EventStreams(runtime.require_store()), pool).pause_changed(
            event.pathway_id, paused_on=event.paused_on, resumed_on=None
        )
    elif isinstance(event, PathwayResumed):
        await TasksHandlers(EventStreams(runtime.require_store()), pool).pause_changed(
            event.pathway_id, paused_on=None, resumed_on=event.resumed_on
        )
    elif isinstance(event, PathwayCompleted | PathwayDiscontinued):
        ended_on = (
            event.completed_on if isinstance(event, PathwayCompleted) else event.discontinued_on
        )
        await TasksHandlers(EventStreams(runtime.require_store()), pool).path_ended(
            event.pathway_id, ended_on
        )
    elif isinstance(event, ClientDataErased):
        async with pool.acquire() as connection, connection.transaction():
            await erase_client_text(connection, event.pathway_id)
    elif isinstance(event, CounselorAssigned):
        access = await find_access(pool, event.pathway_id)
        if access is None:
            return
        counselors = [c for c in access.counselor_ids if c != event.replaces]
        if event.counselor_id not in counselors:
            counselors.append(event.counselor_id)
        async with pool.acquire() as connection:
            await set_counselors(connection, event.pathway_id, counselors)
