"""The guidance service: the counselor's workspace (caseload, meetings, feedback on answers,
outcome follow-ups)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chassis.client_refs import asking_enrolment
from chassis.oidc_login import login_router
from chassis.service import ServiceSpec, create_app
from chassis.web.pages import language_router
from contracts.topics import ENROLMENT_EVENTS, GUIDANCE_EVENTS, TASKS_EVENTS
from contracts.upcasting import upcast
from services.guidance.adapters.answers_projection import ANSWERS_SEEN
from services.guidance.adapters.caseload_projection import CASELOAD
from services.guidance.adapters.feedback_api import router as feedback
from services.guidance.adapters.http_api import router
from services.guidance.adapters.meetings_api import router as meetings
from services.guidance.adapters.messages_api import router as messages
from services.guidance.adapters.outcomes_api import router as outcomes
from services.guidance.bootstrap import bootstrap
from services.guidance.web.caseload_pages import router as caseload_pages
from services.guidance.web.message_pages import router as message_pages
from services.guidance.web.path_pages import router as path_pages
from services.guidance.web.session import STAFF_CLIENT_ID, refusal
from services.guidance.web.timeline_pages import router as timeline_pages

HERE = Path(__file__).parent


SPEC = ServiceSpec(
    name="guidance",
    title="Digipolku guidance",
    description="The counselor's workspace: caseload, guidance meetings, feedback and outcomes.",
    routers=[
        router,
        meetings,
        feedback,
        outcomes,
        messages,
        caseload_pages,
        timeline_pages,
        path_pages,
        message_pages,
        language_router(),
        # The pages read tasks and enrolment, and every service's access log for admins.
        login_router(STAFF_CLIENT_ID, refusal, reads_from=("tasks", "enrolment", "reporting")),
    ],
    static=HERE / "web" / "static",
    migrations=HERE / "migrations",
    translations=HERE / "translations",
    publishes=lambda stored: [GUIDANCE_EVENTS],
    published_topics=[GUIDANCE_EVENTS],
    upcaster=upcast,
    # Its own topic too: the caseload flags what the counselors have and have not yet done.
    subscribes=[ENROLMENT_EVENTS, TASKS_EVENTS, GUIDANCE_EVENTS],
    # The caseload first: a path's client is known there before its answers can be looked up.
    projections=[CASELOAD, ANSWERS_SEEN],
    bootstrap=bootstrap,
    # A signed-in client's reference comes from enrolment, which alone can find it.
    client_refs=asking_enrolment,
)


def app() -> FastAPI:
    """The ASGI application (uvicorn --factory services.guidance.app:app)."""
    return create_app(SPEC)
