"""What the tasks service does with other contexts' events."""

from __future__ import annotations

from chassis.clock import helsinki_today
from chassis.service import ServiceRuntime
from chassis.streams import CommandContext
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
from services.tasks.bootstrap import Tasks

SERVICE_ACTOR = Actor(role="system", id="tasks")


def _caused_by(envelope: EventEnvelope, key: str | None = None) -> CommandContext:
    return CommandContext(
        actor=SERVICE_ACTOR,
        tenant=envelope.tenant,
        correlation_id=envelope.correlation_id,
        causation_id=envelope.event_id,
        idempotency_key=key,
    )


async def on_event(runtime: ServiceRuntime, topic: str, envelope: EventEnvelope) -> None:
    event = parse_payload(envelope)
    parts = runtime.parts_as(Tasks)
    policies = parts.policies
    pool = parts.pool
    if isinstance(event, PathwayOpened):
        context = _caused_by(envelope, f"start-plan:{event.pathway_id}")
        await policies.start_plan_for(event, context, helsinki_today())
    elif isinstance(event, GuidanceMeetingHeld):
        context = _caused_by(envelope, f"meeting-held:{event.meeting_id}")
        await policies.meeting_held(event, context)
    elif isinstance(event, PathwayPaused):
        await policies.pause_changed(
            event.pathway_id, _caused_by(envelope), paused_on=event.paused_on
        )
    elif isinstance(event, PathwayResumed):
        await policies.pause_changed(
            event.pathway_id, _caused_by(envelope), resumed_on=event.resumed_on
        )
    elif isinstance(event, PathwayCompleted | PathwayDiscontinued):
        ended_on = (
            event.completed_on if isinstance(event, PathwayCompleted) else event.discontinued_on
        )
        await policies.path_ended(event.pathway_id, ended_on, _caused_by(envelope))
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
