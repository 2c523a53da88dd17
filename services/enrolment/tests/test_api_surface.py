"""The API's shape, read from the application without starting it."""

from __future__ import annotations

from typing import Any

from chassis.service import create_app
from chassis.settings import ServiceSettings
from services.enrolment.app import SPEC

# Development asked for: production (the default) refuses the local stack's defaults.
DEVELOPMENT = ServiceSettings(service_name="enrolment", environment="development")
OPENAPI: dict[str, Any] = create_app(SPEC, DEVELOPMENT).openapi()


def test_every_command_and_read_has_its_route() -> None:
    paths = OPENAPI["paths"]
    assert set(paths["/pathways"]) == {"get", "post"}
    for command in ("pause", "resume", "complete", "discontinue", "counselors"):
        assert "post" in paths[f"/pathways/{{pathway_id}}/{command}"], command
    assert "post" in paths["/clients/{client_ref}/erasure"]


def test_opening_asks_for_the_name_and_answers_carry_it_only_on_reads() -> None:
    schemas = OPENAPI["components"]["schemas"]
    assert {"first_name", "last_name"} <= set(schemas["OpenPathwayRequest"]["required"])
    assert "personal_identity_code" in schemas["PathwayView"]["properties"]
    assert "first_name" not in schemas["PathwayState"]["properties"]
    assert "personal_identity_code" not in schemas["ListedPathView"]["properties"]
