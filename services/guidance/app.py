"""The guidance service: the counselor's workspace (caseload; feedback and meetings later)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chassis.projector import Projector
from chassis.service import ServiceRuntime, ServiceSpec, create_app
from contracts.topics import ENROLMENT_EVENTS, TASKS_EVENTS
from services.guidance.adapters.caseload_projection import CASELOAD
from services.guidance.adapters.consumer import on_event
from services.guidance.adapters.http_api import router

HERE = Path(__file__).parent


async def _projectors(runtime: ServiceRuntime) -> None:
    runtime.extras["caseload"] = Projector(runtime.require_pool(), CASELOAD)


SPEC = ServiceSpec(
    name="guidance",
    title="Digipolku guidance",
    description="The counselor's caseload, built from enrolment's and tasks' events.",
    routers=[router],
    migrations=HERE / "migrations",
    translations=HERE / "translations",
    subscribes=[ENROLMENT_EVENTS, TASKS_EVENTS],
    on_event=on_event,
    on_startup=[_projectors],
)


def app() -> FastAPI:
    """The ASGI application (uvicorn --factory services.guidance.app:app)."""
    return create_app(SPEC)
