"""The registry routes and the code-shaped opening fields, read from the OpenAPI document."""

from __future__ import annotations

from typing import Any

from chassis.service import create_app
from chassis.settings import ServiceSettings
from services.enrolment.app import SPEC

# Development asked for: production (the default) refuses the local stack's defaults.
DEVELOPMENT = ServiceSettings(service_name="enrolment", environment="development")
OPENAPI: dict[str, Any] = create_app(SPEC, DEVELOPMENT).openapi()


def test_the_registries_have_their_routes() -> None:
    paths = OPENAPI["paths"]
    assert set(paths["/registry/municipalities"]) == {"get"}
    for kind in ("units", "cohorts"):
        assert set(paths[f"/registry/{kind}"]) == {"get", "post"}
        assert set(paths[f"/registry/{kind}/{{code}}"]) == {"put"}
        assert set(paths[f"/registry/{kind}/{{code}}/retire"]) == {"post"}
    assert set(paths["/staff"]) == {"get"}
    assert set(paths["/staff/{subject}"]) == {"put", "delete"}


def test_an_opening_takes_codes_not_text() -> None:
    fields = OPENAPI["components"]["schemas"]["OpenPathwayRequest"]["properties"]
    assert fields["municipality"]["pattern"] == "^[0-9]{3}$"
    for name in ("unit", "cohort"):
        assert fields[name]["pattern"] == "^[a-z0-9][a-z0-9-]{0,39}$"
        assert fields[name]["maxLength"] == 40
