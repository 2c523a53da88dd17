"""The OpenAPI document as the service really behaves, described once for every route.

FastAPI documents what a route declares: its parameters, body and success answer. What the
chassis adds around every route it cannot see, so this module adds it from the route's own
shape (decision 0016):

- a route with a dependency from `chassis.http_auth` needs a bearer token: the bearer
  security scheme (with the roles it admits), 401 and 403;
- such a route with POST, PUT, PATCH or DELETE is a command: `Idempotency-Key` and `If-Match`
  in, `Idempotent-Replayed` and `ETag` out, 409 for a version or state conflict; a write that
  does not go through the command pipeline and is safe to repeat by its nature (a registry
  entry added twice is a 409, set twice the same) says so with `REPEATABLE_WRITE` and gets
  the 409 but not the headers it would not honour;
- a path parameter can name something that is not there (404); a body can be malformed
  (400) or too large (413); any input can be refused (422); anything can fail (500);
- every error is `application/problem+json` with the schema `chassis.problem_models` gives,
  never FastAPI's default validation shape; every answer carries `X-Correlation-ID`;
- a success answer that names an id links to the operations that take that id, so a
  stateful fuzzer (and a reader) can follow a path from the call that made it.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, routing
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel
from starlette.routing import BaseRoute

from chassis.problem_models import ConflictProblem, Problem, ValidationProblem

PROBLEM_JSON = "application/problem+json"
BEARER = "bearerAuth"
COMMAND_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# FastStream's AsyncAPI routes: what they send, which their declarations do not say.
ASYNCAPI_MEDIA = {
    "serve_asyncapi_schema": ("text/html", {"type": "string"}, "The AsyncAPI document as a page."),
    "download_app_json_schema": ("application/json", {"type": "object"}, "The AsyncAPI document."),
    "download_app_yaml_schema": (
        "application/octet-stream",
        {"type": "string"},
        "The AsyncAPI document as YAML, as a download.",
    ),
}
# FastStream's "try it out" endpoint publishes any message to any topic, unauthenticated.
TRY_IT_OUT_SUFFIX = "/try"

ERRORS: dict[int, tuple[str, type[Problem]]] = {
    400: ("Malformed request: the body is not JSON or not UTF-8.", Problem),
    401: ("No valid bearer token (missing, expired or not from our issuer).", Problem),
    403: ("The token's role may not do this, or the client's identification is too weak.", Problem),
    404: ("Not found, or not visible to the caller.", Problem),
    409: (
        "Conflict: the version in `If-Match` is not the current one (`expected_version`, "
        "`current_version`), or the state does not allow the command.",
        ConflictProblem,
    ),
    413: ("The request body is larger than the service accepts.", Problem),
    422: (
        "Refused input: the fields named in `errors`, a rule of the domain, or an "
        "`Idempotency-Key` already used for another command.",
        ValidationProblem,
    ),
    429: (
        "Too many writes from this caller or address (decision 0023); `Retry-After` says when "
        "to try again.",
        Problem,
    ),
    500: ("Unexpected error; the correlation id finds it in the logs.", Problem),
    503: (
        "The database, the broker or a peer service is out of reach for a moment (decision "
        "0028); nothing was changed, and `Retry-After` says when to try again (with the same "
        "`Idempotency-Key`).",
        Problem,
    ),
}

HEADERS: dict[str, dict[str, Any]] = {
    "X-Correlation-ID": {
        "description": "The request's correlation id (the caller's if it sent a valid one).",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    },
    "ETag": {
        "description": 'The version of what was read or changed, as `"3"`; send it back in '
        "`If-Match`.",
        "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
    },
    "Location": {
        "description": "Where the created resource is read.",
        "schema": {"type": "string"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the first answer to the same command, replayed "
        "for a retry with the same `Idempotency-Key`.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Content-Language": {
        "description": "The language of `detail`: fi, or sv when asked for.",
        "schema": {"type": "string", "enum": ["fi", "sv"]},
    },
    "Retry-After": {
        "description": "Seconds until the rate limit lets a request through again, or until "
        "the service expects to reach what it was missing.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
}

REQUEST_HEADERS: dict[str, dict[str, Any]] = {
    "Idempotency-Key": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Makes a retry safe: the same key with the same command returns the "
        "first answer (`Idempotent-Replayed: true`); the same key with another command is "
        "refused (422). Up to 200 characters are kept.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    },
    "If-Match": {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": "The `ETag` last read: the command is refused with 409 when the "
        "resource has moved on since.",
        # The quotes are optional: `3` is read as `"3"`.
        "schema": {"type": "string", "pattern": '^(\\*|(W/)?"?[0-9]+"?)$'},
    },
    "X-Correlation-ID": {
        "name": "X-Correlation-ID",
        "in": "header",
        "required": False,
        "description": "A correlation id (a UUID) to follow the request through the logs and "
        "events; a missing one, or one that is not a UUID, is replaced by a new one.",
        "schema": {"type": "string"},
    },
}


# `openapi_extra` of a write outside the command pipeline that is safe to repeat as it is.
REPEATABLE_WRITE: dict[str, Any] = {"x-repeatable-write": True}


@dataclass(frozen=True)
class RouteShape:
    """What the chassis adds around a route, read from the route itself."""

    roles: tuple[str, ...] | None  # None: no token needed
    is_command: bool
    # A command through the pipeline: it honours Idempotency-Key and If-Match.
    takes_command_headers: bool
    path_params: tuple[str, ...]
    has_body: bool
    has_input: bool
    endpoint_name: str


def install_openapi(app: FastAPI, asyncapi_docs: APIRouter | None = None) -> None:
    """Serve the described document at /openapi.json (generated on first use, then kept)."""
    if asyncapi_docs is not None:
        _close_try_it_out(asyncapi_docs)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            # FastAPI's own document first (it caches it on the app), then what it cannot see.
            describe(FastAPI.openapi(app), app.routes)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def describe(document: dict[str, Any], routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """Add errors, security, headers and links to `document` (in place) and return it."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for model in (Problem, ValidationProblem, ConflictProblem):
        _add_model_schema(schemas, model)
    components.setdefault("headers", {}).update(HEADERS)
    components.setdefault("securitySchemes", {})[BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from the OpenID Connect issuer. Clients need a strong "
        "identification (`acr`); staff carry a role and a tenant.",
    }
    shapes = dict(_route_shapes(routes))
    for path, method, operation in _operations(document):
        shape = shapes.get((method, path))
        if shape is not None:
            _describe_operation(operation, shape)
    _drop_unused_validation_schemas(document)
    _add_links(document, shapes)
    return document


def _route_shapes(routes: Sequence[BaseRoute]) -> Iterator[tuple[tuple[str, str], RouteShape]]:
    for context in routing.iter_route_contexts(routes):
        route = context.original_route
        if not isinstance(route, routing.APIRoute) or not route.include_in_schema:
            continue
        dependant: Dependant = context.dependant
        calls = list(_dependency_calls(dependant))
        roles = _roles(calls)
        path_params = tuple(param.name for param in _all_params(dependant, "path_params"))
        has_body = context.body_field is not None
        query_or_header = [
            *_all_params(dependant, "query_params"),
            *_all_params(dependant, "header_params"),
        ]
        repeatable = bool((route.openapi_extra or {}).get("x-repeatable-write"))
        for method in context.methods or ():
            is_command = roles is not None and method in COMMAND_METHODS
            shape = RouteShape(
                roles=roles,
                is_command=is_command,
                takes_command_headers=is_command and not repeatable,
                path_params=path_params,
                has_body=has_body,
                has_input=bool(path_params or has_body or query_or_header),
                endpoint_name=getattr(context.endpoint, "__name__", ""),
            )
            yield (method.lower(), str(context.path_format)), shape


def _dependency_calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependency_calls(sub)


def _all_params(dependant: Dependant, kind: str) -> list[Any]:
    params = list(getattr(dependant, kind))
    for sub in dependant.dependencies:
        params += _all_params(sub, kind)
    return params


def _roles(calls: list[Callable[..., Any]]) -> tuple[str, ...] | None:
    """The roles a route admits: () for any signed-in caller, None when it needs no token.

    A token is needed when a dependency comes from chassis.http_auth; `require_role` keeps the
    roles it lets through in its closure, which is where they are read from.
    """
    found: tuple[str, ...] | None = None
    for call in calls:
        if getattr(call, "__module__", "") != "chassis.http_auth":
            continue
        roles = inspect.getclosurevars(call).nonlocals.get("roles")
        if isinstance(roles, tuple):
            return tuple(str(role) for role in roles)
        found = ()
    return found


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method, operation


def _describe_operation(operation: dict[str, Any], shape: RouteShape) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    _describe_own_media(responses, shape)
    statuses = {500}
    if shape.has_body:
        statuses |= {400, 413}
    if shape.has_input or shape.is_command:
        statuses.add(422)
    if shape.path_params:
        statuses.add(404)
    if shape.roles is not None:
        statuses |= {401, 403}
        roles = list(shape.roles)
        operation["security"] = [{BEARER: roles}]
        if roles:
            operation["description"] = (
                operation.get("description", "").rstrip() + f"\n\nRoles: {', '.join(roles)}."
            ).lstrip()
    if shape.is_command:
        statuses |= {409, 429}
    if shape.roles is not None or shape.is_command:  # they read or write the database
        statuses.add(503)
    # A route may declare an error of its own (a 409 with its own words): keep its words.
    statuses |= {int(code) for code in responses if code.isdigit() and int(code) >= 400}
    for status in sorted(statuses):
        description, model = ERRORS.get(status, ERRORS[422 if status < 500 else 500])
        declared = responses.get(str(status), {})
        own = declared.get("description")
        responses[str(status)] = {
            "description": own if own and own != "Validation Error" else description,
            "headers": {"Content-Language": {"$ref": "#/components/headers/Content-Language"}},
            "content": {
                PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    for code, response in responses.items():
        headers = response.setdefault("headers", {})
        headers["X-Correlation-ID"] = {"$ref": "#/components/headers/X-Correlation-ID"}
        if code in ("429", "503"):
            headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
        if code.startswith("2"):
            if code == "201":
                headers["Location"] = {"$ref": "#/components/headers/Location"}
            if shape.takes_command_headers:
                headers["Idempotent-Replayed"] = {
                    "$ref": "#/components/headers/Idempotent-Replayed"
                }
            if shape.roles is not None and shape.path_params:
                headers["ETag"] = {"$ref": "#/components/headers/ETag"}
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    wanted = ["X-Correlation-ID"]
    if shape.takes_command_headers:
        wanted += ["Idempotency-Key", "If-Match"]
    named = {(param.get("in"), str(param.get("name", "")).lower()) for param in parameters}
    for name in wanted:
        if ("header", name.lower()) not in named:
            parameters.append(dict(REQUEST_HEADERS[name]))


def _describe_own_media(responses: dict[str, Any], shape: RouteShape) -> None:
    """What the chassis' own routes send beyond their declarations: readiness may answer 503;
    FastStream's AsyncAPI routes send HTML and YAML, though they say JSON."""
    if shape.endpoint_name == "readyz":
        responses["503"] = {
            "description": "Not ready: the checks say which part does not answer.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    media = ASYNCAPI_MEDIA.get(shape.endpoint_name)
    if media is None or "200" not in responses:
        return
    media_type, schema, description = media
    responses["200"]["description"] = description
    responses["200"]["content"] = {media_type: {"schema": schema}}


def _add_model_schema(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, nested in schema.pop("$defs", {}).items():
        schemas[name] = nested
    schemas[model.__name__] = schema


def _drop_unused_validation_schemas(document: dict[str, Any]) -> None:
    """FastAPI's 422 shape is no longer referred to: leave it out of the document."""
    schemas = document["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError"):
        if name not in schemas:
            continue
        held = schemas.pop(name)
        if f'"#/components/schemas/{name}"' in _json(document):
            schemas[name] = held  # a service's own model of that name


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document)


def _add_links(document: dict[str, Any], shapes: dict[tuple[str, str], RouteShape]) -> None:
    """A 2xx answer that names an id links to every operation taking that id in its path.

    The id is a member of the answer (`pathway_id`) or of the first item of a list in it
    (`items[0].pathway_id`). A target's other path parameters come from the request that was
    answered when it had them (a meeting created under a path leads to that meeting under the
    same path); any left over are for the client to choose.
    """
    schemas = document["components"]["schemas"]
    targets = [
        (path, method, operation, shapes[(method, path)])
        for path, method, operation in _operations(document)
        if (method, path) in shapes and shapes[(method, path)].path_params
    ]
    for source_path, source_method, source, shape in _operations_with_shapes(document, shapes):
        if source_method not in ("get", "post"):
            continue
        for code, response in source["responses"].items():
            if not code.startswith("2"):
                continue
            pointers = _id_pointers(response, schemas)
            links: dict[str, Any] = {}
            for path, _method, operation, target in targets:
                if path == source_path:
                    continue
                # Only a link that brings something new: an id this answer made or revealed.
                new_ids = [
                    name
                    for name in target.path_params
                    if name in pointers and name not in shape.path_params
                ]
                if not new_ids:
                    continue
                parameters = {
                    name: (
                        f"$request.path.{name}"
                        if name in shape.path_params
                        else f"$response.body#{pointers[name]}"
                    )
                    for name in target.path_params
                    if name in shape.path_params or name in pointers
                }
                links[str(operation["operationId"])] = {
                    "operationId": operation["operationId"],
                    "parameters": parameters,
                }
            if links:
                response["links"] = links


def _operations_with_shapes(
    document: dict[str, Any], shapes: dict[tuple[str, str], RouteShape]
) -> Iterator[tuple[str, str, dict[str, Any], RouteShape]]:
    for path, method, operation in _operations(document):
        shape = shapes.get((method, path))
        if shape is not None:
            yield path, method, operation, shape


def _id_pointers(response: dict[str, Any], schemas: dict[str, Any]) -> dict[str, str]:
    """JSON pointers to the ids an answer names, the shallowest first: its own members, then
    those of the first item of a list in it (`weeks[0].tasks[0].task_id`), a few levels down."""
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    pointers: dict[str, str] = {}
    root = _resolve(schema, schemas)
    if root.get("type") == "array":
        root = _resolve(root.get("items"), schemas)
        level = [("/0", root)]
    else:
        level = [("", root)]
    for _ in range(3):
        deeper: list[tuple[str, dict[str, Any]]] = []
        for prefix, node in level:
            for name, member in node.get("properties", {}).items():
                if _is_id(name):
                    pointers.setdefault(name, f"{prefix}/{name}")
                member = _resolve(member, schemas)
                if member.get("type") == "array":
                    deeper.append((f"{prefix}/{name}/0", _resolve(member.get("items"), schemas)))
                elif "properties" in member:
                    deeper.append((f"{prefix}/{name}", member))
        level = deeper
    return pointers


def _is_id(name: str) -> bool:
    return name.endswith(("_id", "_ref"))


def _resolve(schema: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {}
    ref = str(schema.get("$ref", ""))
    if ref.startswith("#/components/schemas/"):
        resolved: dict[str, Any] = schemas.get(ref.rsplit("/", 1)[-1], {})
        return resolved
    return schema


def _close_try_it_out(docs: APIRouter) -> None:
    """Remove FastStream's AsyncAPI "try it out" endpoint (`POST /asyncapi/try`).

    It publishes whatever it is given to any topic of the real broker, without a token: a
    way around every rule of the services. The documents themselves stay.
    """
    docs.routes[:] = [
        route
        for route in docs.routes
        if not str(getattr(route, "path", "")).endswith(TRY_IT_OUT_SUFFIX)
    ]
