"""The guidance service: the counselor's workspace (caseload; feedback and meetings later)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chassis.service import ServiceSpec, create_app
from contracts.topics import ENROLMENT_EVENTS, GUIDANCE_EVENTS, TASKS_EVENTS
from contracts.upcasting import upcast
from services.guidance.adapters.caseload_projection import CASELOAD
from services.guidance.adapters.http_api import router
from services.guidance.adapters.meetings_api import router as meetings

HERE = Path(__file__).parent


SPEC = ServiceSpec(
    name="guidance",
    title="Digipolku guidance",
    description="The counselor's workspace: caseload and guidance meetings.",
    routers=[router, meetings],
    migrations=HERE / "migrations",
    translations=HERE / "translations",
    publishes=lambda stored: [GUIDANCE_EVENTS],
    published_topics=[GUIDANCE_EVENTS],
    upcaster=upcast,
    subscribes=[ENROLMENT_EVENTS, TASKS_EVENTS],
    projections=[CASELOAD],
)


def app() -> FastAPI:
    """The ASGI application (uvicorn --factory services.guidance.app:app)."""
    return create_app(SPEC)
