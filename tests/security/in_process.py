"""A service's application built in this process, without starting it (no database, no broker).

What the HTTP edge decides (headers, CSRF, rate limits) happens before any route touches the
database, so it can be tested on the real application with settings of the test's choosing.
"""

from __future__ import annotations

import importlib
from typing import Any

import httpx
from fastapi import FastAPI

from chassis.service import ServiceSpec, create_app
from chassis.settings import ServiceSettings

PRODUCTION_ISSUER = "https://tunnistus.kanta-hame.example"


def spec_of(service: str) -> ServiceSpec:
    spec: ServiceSpec = importlib.import_module(f"services.{service}.app").SPEC
    return spec


def development_app(service: str, **settings: Any) -> FastAPI:
    return create_app(
        spec_of(service),
        ServiceSettings(service_name=service, environment="development", **settings),
    )


def production_app(service: str) -> FastAPI:
    """As in production, without the secrets and broker production checks for at start
    (which tests/security/test_refusal_to_start.py covers)."""
    settings = ServiceSettings.model_construct(
        service_name=service, environment="production", oidc_issuer=PRODUCTION_ISSUER
    )
    return create_app(spec_of(service), settings)


def client(app: FastAPI, address: str = "203.0.113.10") -> httpx.AsyncClient:
    """A client calling from `address` (what the service sees as request.client.host)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://service.test")
