"""The guidance service: the counselor's workspace (caseload, meetings, feedback on answers)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chassis.service import ServiceSpec, create_app
from contracts.topics import ENROLMENT_EVENTS, GUIDANCE_EVENTS, TASKS_EVENTS
from contracts.upcasting import upcast
from services.guidance.adapters.answers_projection import ANSWERS_SEEN
from services.guidance.adapters.caseload_projection import CASELOAD
from services.guidance.adapters.feedback_api import router as feedback
from services.guidance.adapters.http_api import router
from services.guidance.adapters.meetings_api import router as meetings

HERE = Path(__file__).parent


SPEC = ServiceSpec(
    name="guidance",
    title="Digipolku guidance",
    description="The counselor's workspace: caseload, guidance meetings and feedback.",
    routers=[router, meetings, feedback],
    migrations=HERE / "migrations",
    translations=HERE / "translations",
    publishes=lambda stored: [GUIDANCE_EVENTS],
    published_topics=[GUIDANCE_EVENTS],
    upcaster=upcast,
    subscribes=[ENROLMENT_EVENTS, TASKS_EVENTS],
    # The caseload first: a path's client is known there before its answers can be looked up.
    projections=[CASELOAD, ANSWERS_SEEN],
)


def app() -> FastAPI:
    """The ASGI application (uvicorn --factory services.guidance.app:app)."""
    return create_app(SPEC)
