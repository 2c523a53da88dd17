"""The reporting service: impact read models for managers (no domain commands)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chassis.service import ServiceSpec, create_app
from contracts.topics import ENROLMENT_EVENTS, TASKS_EVENTS
from services.reporting.adapters.counts_projection import COUNTS
from services.reporting.adapters.http_api import router

HERE = Path(__file__).parent


SPEC = ServiceSpec(
    name="reporting",
    title="Digipolku reporting",
    description="Impact figures for managers, built from events only.",
    routers=[router],
    migrations=HERE / "migrations",
    translations=HERE / "translations",
    subscribes=[ENROLMENT_EVENTS, TASKS_EVENTS],
    projections=[COUNTS],
)


def app() -> FastAPI:
    """The ASGI application (uvicorn --factory services.reporting.app:app)."""
    return create_app(SPEC)
