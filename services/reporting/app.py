"""The reporting service: impact read models for managers (no domain commands)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chassis.oidc_login import login_router
from chassis.service import ServiceSpec, create_app
from chassis.web.pages import language_router
from contracts.topics import ENROLMENT_EVENTS, GUIDANCE_EVENTS, TASKS_EVENTS
from services.reporting.adapters.figures_projection import FIGURES
from services.reporting.adapters.http_api import router
from services.reporting.bootstrap import bootstrap, publish_tenant_events, run_statistics_publisher
from services.reporting.settings import ReportingSettings
from services.reporting.web.dashboard_pages import refusal
from services.reporting.web.dashboard_pages import router as dashboard

# The managers sign in like all staff (the development issuer shows its staff page for it).
STAFF_CLIENT_ID = "digipolku-staff"

HERE = Path(__file__).parent


SPEC = ServiceSpec(
    name="reporting",
    title="Digipolku reporting",
    description="Impact figures for managers, built from events only.",
    routers=[
        router,
        dashboard,
        language_router(),
        login_router(STAFF_CLIENT_ID, refusal),
    ],
    static=HERE / "web" / "static",
    migrations=HERE / "migrations",
    translations=HERE / "translations",
    subscribes=[ENROLMENT_EVENTS, TASKS_EVENTS, GUIDANCE_EVENTS],
    projections=[FIGURES],
    bootstrap=bootstrap,
    settings=[ReportingSettings],
    # The tenant's own systems get the few path events reminders need; every area gets the
    # monthly statistics. Both go through the outbox (decisions 0030 and 0032).
    on_event=publish_tenant_events,
    background=[run_statistics_publisher],
    outbox=True,
)


def app() -> FastAPI:
    """The ASGI application (uvicorn --factory services.reporting.app:app)."""
    return create_app(SPEC)
