"""The guidance service: the counselor's workspace (caseload; feedback and meetings later)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chassis.service import ServiceSpec, create_app
from contracts.topics import ENROLMENT_EVENTS, TASKS_EVENTS
from services.guidance.adapters.caseload_projection import CASELOAD
from services.guidance.adapters.http_api import router

HERE = Path(__file__).parent


SPEC = ServiceSpec(
    name="guidance",
    title="Digipolku guidance",
    description="The counselor's caseload, built from enrolment's and tasks' events.",
    routers=[router],
    migrations=HERE / "migrations",
    translations=HERE / "translations",
    subscribes=[ENROLMENT_EVENTS, TASKS_EVENTS],
    projections=[CASELOAD],
)


def app() -> FastAPI:
    """The ASGI application (uvicorn --factory services.guidance.app:app)."""
    return create_app(SPEC)
