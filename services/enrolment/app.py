"""The enrolment service: counselors open and manage clients' paths."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chassis.service import ServiceSpec, create_app
from contracts.topics import ENROLMENT_EVENTS
from contracts.upcasting import upcast
from services.enrolment.adapters.client_reference_api import router as client_reference
from services.enrolment.adapters.client_refs import VaultClientRefs
from services.enrolment.adapters.erasure_api import router as erasure
from services.enrolment.adapters.http_api import router
from services.enrolment.adapters.registry_api import router as registries
from services.enrolment.bootstrap import bootstrap
from services.enrolment.settings import EnrolmentSettings

HERE = Path(__file__).parent

SPEC = ServiceSpec(
    name="enrolment",
    title="Digipolku enrolment",
    description="Opening and managing clients' 12-week paths (the Pathway aggregate).",
    routers=[router, erasure, registries, client_reference],
    migrations=HERE / "migrations",
    translations=HERE / "translations",
    publishes=lambda stored: [ENROLMENT_EVENTS],
    published_topics=[ENROLMENT_EVENTS],
    upcaster=upcast,
    bootstrap=bootstrap,
    settings=[EnrolmentSettings],
    # Only enrolment holds the pseudonym key: it finds a client's reference in its vault.
    client_refs=VaultClientRefs,
)


def app() -> FastAPI:
    """The ASGI application (uvicorn --factory services.enrolment.app:app)."""
    return create_app(SPEC)
