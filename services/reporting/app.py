"""The reporting service: impact read models for managers (no domain commands)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chassis.oidc_login import login_router
from chassis.service import ServiceRuntime, ServiceSpec, create_app
from chassis.web.pages import language_router
from contracts.topics import ENROLMENT_EVENTS, GUIDANCE_EVENTS, TASKS_EVENTS
from services.reporting.adapters.figures_projection import FIGURES
from services.reporting.adapters.http_api import INSTRUMENTS, router
from services.reporting.adapters.instrument_files import load_instruments
from services.reporting.adapters.public_publisher import publish_public, run_public_producer
from services.reporting.settings import ReportingSettings
from services.reporting.web.dashboard_pages import refusal
from services.reporting.web.dashboard_pages import router as dashboard

# The managers sign in like all staff (the development issuer shows its staff page for it).
STAFF_CLIENT_ID = "digipolku-staff"

HERE = Path(__file__).parent


async def _load_instruments(runtime: ServiceRuntime) -> None:
    """The instruments' item → area mapping, read once at start (a bad file stops the start)."""
    runtime.extras[INSTRUMENTS] = load_instruments(ReportingSettings().instruments_dir)


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
    on_startup=[_load_instruments],
    # Other wellbeing areas' systems subscribe to the minimised public events.
    on_event=publish_public,
    background=[run_public_producer],
)


def app() -> FastAPI:
    """The ASGI application (uvicorn --factory services.reporting.app:app)."""
    return create_app(SPEC)
