"""The tasks service: the client's plan, answers, direction choice (and the client's pages)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chassis.client_refs import asking_enrolment
from chassis.oidc_login import login_router
from chassis.service import ServiceSpec, create_app
from chassis.web.pages import language_router
from contracts.topics import TASKS_EVENTS
from contracts.upcasting import upcast
from services.tasks.adapters.consumer import on_event
from services.tasks.adapters.http_api import router
from services.tasks.adapters.projections import PROJECTIONS
from services.tasks.application.week_scheduler import run_week_scheduler
from services.tasks.bootstrap import SUBSCRIBED, bootstrap
from services.tasks.web.listen import listen_router
from services.tasks.web.meeting_pages import router as meeting_pages
from services.tasks.web.message_pages import router as message_pages
from services.tasks.web.pages import router as pages
from services.tasks.web.session import refusal

HERE = Path(__file__).parent

SPEC = ServiceSpec(
    name="tasks",
    title="Digipolku tasks",
    description="The client's 12-week plan: weekly tasks, answers and the direction choice.",
    routers=[
        router,
        pages,
        meeting_pages,
        listen_router(),
        message_pages,
        language_router(),
        # The pages read guidance (feedback, meetings) and enrolment (the client's reference).
        login_router("digipolku-tasks", refusal, reads_from=("guidance", "enrolment")),
    ],
    static=HERE / "web" / "static",
    migrations=HERE / "migrations",
    translations=HERE / "translations",
    publishes=lambda stored: [TASKS_EVENTS],
    published_topics=[TASKS_EVENTS],
    subscribes=SUBSCRIBED,
    projections=PROJECTIONS,
    on_event=on_event,
    bootstrap=bootstrap,
    # A signed-in client's reference comes from enrolment, which alone can find it.
    client_refs=asking_enrolment,
    background=[run_week_scheduler],
    upcaster=upcast,
)


def app() -> FastAPI:
    """The ASGI application (uvicorn --factory services.tasks.app:app)."""
    return create_app(SPEC)
