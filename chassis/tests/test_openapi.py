"""The described OpenAPI document: what the chassis adds around routes, read from the routes,
and problem bodies that match the schemas it publishes."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.models import OpenAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from chassis.auth import Principal
from chassis.event_store import ConcurrencyConflict
from chassis.http import install_problem_handlers
from chassis.http_auth import current_principal, require_role
from chassis.i18n import Catalogue
from chassis.openapi import REPEATABLE_WRITE, install_openapi
from chassis.problem_models import ConflictProblem, Problem, ValidationProblem

Staff = Annotated[Principal, Depends(require_role("counselor", "admin"))]
Anyone = Annotated[Principal, Depends(current_principal)]


class ThingRequest(BaseModel):
    name: str


class ThingView(BaseModel):
    thing_id: UUID
    name: str


class ThingList(BaseModel):
    items: list[ThingView]


def _app() -> FastAPI:
    app = FastAPI()
    router = APIRouter()

    @router.get("/open")
    async def open_to_all() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/things")
    async def list_things(principal: Anyone) -> ThingList:
        return ThingList(items=[])

    @router.post("/things", status_code=201)
    async def make_thing(body: ThingRequest, principal: Staff) -> ThingView:
        return ThingView(thing_id=uuid4(), name=body.name)

    @router.get("/things/{thing_id}")
    async def read_thing(thing_id: UUID, principal: Staff) -> ThingView:
        return ThingView(thing_id=thing_id, name="x")

    @router.post("/things/{thing_id}/close")
    async def close_thing(thing_id: UUID, body: ThingRequest, principal: Staff) -> ThingView:
        return ThingView(thing_id=thing_id, name=body.name)

    @router.put("/names/{code}", openapi_extra=REPEATABLE_WRITE)
    async def set_name(code: str, body: ThingRequest, principal: Staff) -> ThingView:
        return ThingView(thing_id=uuid4(), name=body.name)

    @router.post("/conflict")
    async def conflict() -> None:
        raise ConcurrencyConflict("thing-1", 2, 3)

    docs = APIRouter()

    @docs.post("/asyncapi/try")
    async def try_it_out() -> None:
        return None

    install_problem_handlers(app, Catalogue.load())
    install_openapi(app, docs)
    app.include_router(router)
    app.include_router(docs)
    return app


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return _app()


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def _operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = document["paths"][path][method]
    return operation


def _header_names(operation: dict[str, Any]) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}


def test_the_described_document_is_still_openapi(document: dict[str, Any]) -> None:
    described = OpenAPI.model_validate(document)
    assert described.components is not None and described.components.headers


def test_a_route_that_takes_a_token_says_so_with_its_roles(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert _operation(document, "get", "/things/{thing_id}")["security"] == [
        {"bearerAuth": ["counselor", "admin"]}
    ]
    assert _operation(document, "get", "/things")["security"] == [{"bearerAuth": []}]
    assert "security" not in _operation(document, "get", "/open")
    for method, path in (("get", "/things"), ("post", "/things"), ("get", "/things/{thing_id}")):
        assert {"401", "403"} <= set(_operation(document, method, path)["responses"])
    assert not {"401", "403"} & set(_operation(document, "get", "/open")["responses"])


def test_errors_follow_the_shape_of_the_route(document: dict[str, Any]) -> None:
    statuses = {
        (method, path): set(_operation(document, method, path)["responses"])
        for method, path in (
            ("get", "/open"),
            ("get", "/things/{thing_id}"),
            ("post", "/things"),
            ("post", "/things/{thing_id}/close"),
        )
    }
    assert statuses[("get", "/open")] == {"200", "500"}
    assert statuses[("get", "/things/{thing_id}")] == {
        "200", "401", "403", "404", "422", "500", "503"
    }  # fmt: skip
    assert statuses[("post", "/things")] == {
        "201", "400", "401", "403", "409", "413", "422", "429", "500", "503"
    }  # fmt: skip
    assert statuses[("post", "/things/{thing_id}/close")] == {
        "200", "400", "401", "403", "404", "409", "413", "422", "429", "500", "503"
    }  # fmt: skip
    # A write over the rate limit says when to come back (decision 0023).
    too_many = _operation(document, "post", "/things")["responses"]["429"]
    assert too_many["headers"]["Retry-After"] == {"$ref": "#/components/headers/Retry-After"}
    # So does an outage of the database, the broker or a peer (decision 0028).
    away = _operation(document, "post", "/things")["responses"]["503"]
    assert away["headers"]["Retry-After"] == {"$ref": "#/components/headers/Retry-After"}


def test_every_error_is_problem_json_and_fastapis_own_shape_is_gone(
    document: dict[str, Any],
) -> None:
    expected = {"409": "ConflictProblem", "422": "ValidationProblem"}
    for item in document["paths"].values():
        for operation in item.values():
            for code, response in operation["responses"].items():
                assert "X-Correlation-ID" in response["headers"]
                if int(code) < 400:
                    continue
                assert list(response["content"]) == ["application/problem+json"]
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": f"#/components/schemas/{expected.get(code, 'Problem')}"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "ValidationError" not in document["components"]["schemas"]


def test_commands_take_idempotency_key_and_if_match_and_say_when_replayed(
    document: dict[str, Any],
) -> None:
    command = _operation(document, "post", "/things/{thing_id}/close")
    assert {"Idempotency-Key", "If-Match", "X-Correlation-ID"} <= _header_names(command)
    assert set(command["responses"]["200"]["headers"]) == {
        "X-Correlation-ID",
        "Idempotent-Replayed",
        "ETag",
    }
    created = _operation(document, "post", "/things")["responses"]["201"]["headers"]
    assert {"Location", "Idempotent-Replayed"} <= set(created)
    read = _operation(document, "get", "/things/{thing_id}")
    assert _header_names(read) == {"X-Correlation-ID"}
    assert "ETag" in read["responses"]["200"]["headers"]


def test_a_repeatable_write_outside_the_pipeline_promises_no_command_headers(
    document: dict[str, Any],
) -> None:
    write = _operation(document, "put", "/names/{code}")
    assert _header_names(write) == {"X-Correlation-ID"}
    assert "Idempotent-Replayed" not in write["responses"]["200"]["headers"]
    assert {"401", "403", "404", "409", "422"} <= set(write["responses"])


def test_a_created_id_links_to_the_operations_that_take_it(document: dict[str, Any]) -> None:
    links = _operation(document, "post", "/things")["responses"]["201"]["links"]
    assert {link["operationId"] for link in links.values()} == {
        _operation(document, "get", "/things/{thing_id}")["operationId"],
        _operation(document, "post", "/things/{thing_id}/close")["operationId"],
    }
    assert {tuple(link["parameters"].items()) for link in links.values()} == {
        (("thing_id", "$response.body#/thing_id"),)
    }
    listed = _operation(document, "get", "/things")["responses"]["200"]["links"]
    assert {tuple(link["parameters"].items()) for link in listed.values()} == {
        (("thing_id", "$response.body#/items/0/thing_id"),)
    }


def test_the_asyncapi_try_it_out_endpoint_is_removed(app: FastAPI) -> None:
    client = TestClient(app)
    assert client.post("/asyncapi/try", json={}).status_code in (404, 405)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "model"),
    [
        ("post", "/things", {"name": "x"}, 401, Problem),
        ("post", "/things", b"{not json", 400, Problem),
        ("get", "/things/not-a-uuid", None, 401, Problem),
        ("get", "/nowhere", None, 404, Problem),
        ("post", "/conflict", None, 409, ConflictProblem),
    ],
)
def test_the_bodies_sent_match_the_published_schemas(
    app: FastAPI, method: str, path: str, body: Any, status: int, model: type[Problem]
) -> None:
    client = TestClient(app)
    if isinstance(body, bytes):
        response = client.request(
            method, path, content=body, headers={"content-type": "application/json"}
        )
    else:
        response = client.request(method, path, json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = model.model_validate(response.json())
    assert problem.status == status
    if isinstance(problem, ConflictProblem):
        assert (problem.expected_version, problem.current_version) == (2, 3)


def test_a_validation_problem_names_the_fields() -> None:
    app = FastAPI()
    install_problem_handlers(app, Catalogue.load())
    install_openapi(app)

    @app.post("/things")
    async def make_thing(body: ThingRequest) -> None:
        return None

    response = TestClient(app).post("/things", json={"name": 3})
    assert response.status_code == 422
    problem = ValidationProblem.model_validate(response.json())
    assert problem.errors is not None
    assert [error.field for error in problem.errors] == ["name"]
