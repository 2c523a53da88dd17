"""Guidance consumes enrolment's and tasks' events into the caseload."""

from __future__ import annotations

from chassis.projector import Projector
from chassis.service import ServiceRuntime
from contracts.envelope import EventEnvelope


async def on_event(runtime: ServiceRuntime, topic: str, envelope: EventEnvelope) -> None:
    projector: Projector = runtime.extras["caseload"]
    await projector.handle(topic, envelope)
