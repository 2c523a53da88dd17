"""What the tasks service does with other contexts' events, besides its projections: a small
registry of reactions, each a policy run through the command pipeline.

The projections (adapters/projections.py) have applied the same batch before a reaction
runs, so a reaction decides on the facts its event brought.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from chassis.clock import helsinki_today
from chassis.policy import Policy, reacting
from chassis.service import ServiceRuntime
from chassis.streams import CommandContext
from contracts.envelope import Actor, EventEnvelope
from contracts.events.base import EventModel
from contracts.events.enrolment import (
    ClientDataErased,
    PathwayCompleted,
    PathwayDiscontinued,
    PathwayOpened,
    PathwayPaused,
    PathwayResumed,
)
from contracts.events.guidance import GuidanceMeetingHeld
from services.tasks.adapters.erasure import erase_client_text
from services.tasks.bootstrap import Tasks

SERVICE_ACTOR = Actor(role="system", id="tasks")

Reaction = Callable[[Tasks, EventEnvelope, Any], Awaitable[None]]


def _caused_by(envelope: EventEnvelope, key: str | None = None) -> CommandContext:
    return CommandContext(
        actor=SERVICE_ACTOR,
        tenant=envelope.tenant,
        correlation_id=envelope.correlation_id,
        causation_id=envelope.event_id,
        idempotency_key=key,
    )


async def start_plan(tasks: Tasks, envelope: EventEnvelope, event: PathwayOpened) -> None:
    context = _caused_by(envelope, f"start-plan:{event.pathway_id}")
    await tasks.policies.start_plan_for(event, context, helsinki_today())


async def complete_after_meeting(
    tasks: Tasks, envelope: EventEnvelope, event: GuidanceMeetingHeld
) -> None:
    context = _caused_by(envelope, f"meeting-held:{event.meeting_id}")
    await tasks.policies.meeting_held(event, context)


async def reschedule(
    tasks: Tasks,
    envelope: EventEnvelope,
    event: PathwayPaused | PathwayResumed | PathwayCompleted | PathwayDiscontinued,
) -> None:
    await tasks.policies.reschedule(event.pathway_id, _caused_by(envelope))


async def erase_texts(tasks: Tasks, envelope: EventEnvelope, event: ClientDataErased) -> None:
    # The client's words cannot be rebuilt from events, so no projection keeps them.
    async with tasks.pool.acquire() as connection, connection.transaction():
        await erase_client_text(connection, event.pathway_id)


def _with_tasks(
    reaction: Reaction,
) -> Callable[[ServiceRuntime, EventEnvelope, Any], Awaitable[None]]:
    async def react(runtime: ServiceRuntime, envelope: EventEnvelope, event: Any) -> None:
        await reaction(runtime.parts_as(Tasks), envelope, event)

    return react


REACTIONS: dict[type[EventModel], Reaction] = {
    PathwayOpened: start_plan,
    GuidanceMeetingHeld: complete_after_meeting,
    PathwayPaused: reschedule,
    PathwayResumed: reschedule,
    PathwayCompleted: reschedule,
    PathwayDiscontinued: reschedule,
    ClientDataErased: erase_texts,
}

# The consumer decodes each event before its reaction runs: one it cannot read (a newer
# version) holds back only its path's reactions, in the dead-letter table (decision 0027).
on_event = Policy(
    "tasks-reactions",
    [reacting(model, _with_tasks(reaction)) for model, reaction in REACTIONS.items()],
)
