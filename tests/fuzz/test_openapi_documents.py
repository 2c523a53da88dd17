"""Every service's OpenAPI document, as served, says what the service really does around its
routes: who may call, which errors come back and in what shape, which headers go in and out.

The rules are written here apart from the generator (chassis/openapi.py), against the
documents the running services serve, so an operation that lacks its error responses,
security or headers fails here by name.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.openapi.models import OpenAPI

from deploy.system import SERVICES, RunningSystem

# Operations anyone may call: health, the documents, the public events' AsyncAPI.
PUBLIC = frozenset(
    {
        "/healthz",
        "/readyz",
        "/asyncapi",
        "/asyncapi.json",
        "/asyncapi.yaml",
        "/asyncapi/public.json",
    }
)
PROBLEMS = {"Problem", "ValidationProblem", "ConflictProblem"}
COMMANDS = {"post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def documents(fuzz_system: RunningSystem) -> dict[str, dict[str, Any]]:
    return {
        name: httpx.get(f"{fuzz_system.urls[name]}/openapi.json", timeout=10).json()
        for name in SERVICES
    }


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def _lacks(document: dict[str, Any]) -> list[str]:
    """Every rule an operation of the document breaks, as `METHOD path: what`."""
    lacks: list[str] = []
    for method, path, operation in _operations(document):
        where = f"{method.upper()} {path}"
        responses: dict[str, Any] = operation["responses"]
        codes = set(responses)
        headers_in = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        path_params = [p for p in operation.get("parameters", []) if p["in"] == "path"]
        needed = {"500"}
        if path not in PUBLIC:
            needed |= {"401", "403"}
            if not any("bearerAuth" in need for need in operation.get("security", [])):
                lacks.append(f"{where}: no bearer security")
        elif "security" in operation:
            lacks.append(f"{where}: a public operation asks for a token")
        if path_params:
            needed.add("404")
        if "requestBody" in operation:
            needed |= {"400", "413", "422"}
            if not _has_example(operation["requestBody"], document):
                lacks.append(f"{where}: no example request")
        is_command = method in COMMANDS and path not in PUBLIC
        # A write outside the command pipeline, safe to repeat, promises no command headers.
        takes_command_headers = is_command and not operation.get("x-repeatable-write")
        if is_command:
            needed.add("409")
        if takes_command_headers:
            for header in ("Idempotency-Key", "If-Match"):
                if header not in headers_in:
                    lacks.append(f"{where}: does not take {header}")
        if "X-Correlation-ID" not in headers_in:
            lacks.append(f"{where}: does not take X-Correlation-ID")
        lacks += [f"{where}: no {code} response" for code in sorted(needed - codes)]
        for code, response in responses.items():
            headers_out = set(response.get("headers", {}))
            if "X-Correlation-ID" not in headers_out:
                lacks.append(f"{where}: {code} without X-Correlation-ID")
            replayable = takes_command_headers and code.startswith("2")
            if replayable and "Idempotent-Replayed" not in headers_out:
                lacks.append(f"{where}: {code} without Idempotent-Replayed")
            if code == "201" and "Location" not in headers_out:
                lacks.append(f"{where}: 201 without Location")
            if int(code) >= 400:
                content = response.get("content", {})
                schema = content.get("application/problem+json", {}).get("schema", {})
                if list(content) != ["application/problem+json"] or (
                    schema.get("$ref", "").rsplit("/", 1)[-1] not in PROBLEMS
                ):
                    lacks.append(f"{where}: {code} is not a problem+json problem")
    return lacks


def _has_example(body: dict[str, Any], document: dict[str, Any]) -> bool:
    media = body.get("content", {}).get("application/json", {})
    if media.get("example") is not None or media.get("examples"):
        return True
    schema = media.get("schema", {})
    # An optional body is `anyOf: [model, null]`.
    for option in [schema, *schema.get("anyOf", [])]:
        name = str(option.get("$ref", "")).rsplit("/", 1)[-1]
        if option.get("examples") or document["components"]["schemas"].get(name, {}).get(
            "examples"
        ):
            return True
    return False


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_declares_its_errors_security_and_headers(
    documents: dict[str, dict[str, Any]], service: str
) -> None:
    document = documents[service]
    OpenAPI.model_validate(document)
    assert _operations(document), "no operations"
    assert _lacks(document) == []
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas, "FastAPI's 422 shape is still described"
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_rules_catch_an_operation_that_lacks_them(
    documents: dict[str, dict[str, Any]],
) -> None:
    """The check above can fail: strip one operation and it is named."""
    document = documents["enrolment"]
    stripped = {
        **document,
        "paths": {
            "/pathways/{pathway_id}/pause": {
                "post": {
                    **document["paths"]["/pathways/{pathway_id}/pause"]["post"],
                    "security": [],
                    "parameters": [{"name": "pathway_id", "in": "path"}],
                    "requestBody": {"content": {"application/json": {"schema": {}}}},
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    lacks = _lacks(stripped)
    expected = (
        "no bearer security",
        "does not take Idempotency-Key",
        "no 404 response",
        "no 409 response",
        "200 without X-Correlation-ID",
        "no example request",
    )
    for what in expected:
        assert any(what in line for line in lacks), (what, lacks)


@pytest.mark.parametrize("service", SERVICES)
def test_the_asyncapi_try_it_out_endpoint_cannot_publish(
    fuzz_system: RunningSystem, service: str
) -> None:
    """FastStream's page would publish any message to any topic, without a token."""
    response = httpx.post(
        f"{fuzz_system.urls[service]}/asyncapi/try",
        json={
            "channelName": "fuzz-probe:publish",
            "message": {"message": {"from": "anyone"}},
            "options": {"sendToRealBroker": True},
        },
        timeout=10,
    )
    assert response.status_code in (404, 405), response.text
