"""The service's AsyncAPI document at /asyncapi (a page), /asyncapi.json and /asyncapi.yaml.

FastStream's FastAPI integration used to serve these from its KafkaRouter. That integration is
deprecated, and its successor (the `faststream-fastapi` package) adds the routes only when its
lifespan starts and wraps the FastAPI application instead of being a router of it (decision
0040). The document itself is FastStream's own, made from the broker's subscribers and
publishers by its `AsyncAPI` specification; this router only serves it, with the same paths,
operation names and parameters as before, so the OpenAPI and AsyncAPI documents stay as they
were. There is no "try it out" endpoint: it would publish anything to the real broker
without a token (chassis.openapi).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import HTMLResponse
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from faststream.specification.asyncapi.site import get_asyncapi_html

ASYNCAPI_PATH = "/asyncapi"


def asyncapi_router(app: FastAPI, broker: KafkaBroker) -> APIRouter:
    """The document of `broker`, titled and described as the application."""
    schema = AsyncAPI(
        broker,
        title=app.title,
        version=app.version,
        description=app.description,
        contact=app.contact,
        license=app.license_info,
    )

    def download_app_json_schema() -> Response:
        # Indented, as FastStream served it: the downloaded document stays readable.
        document: dict[str, Any] = schema.to_specification().to_jsonable()
        return Response(
            content=json.dumps(document, indent=2),
            headers={"Content-Type": "application/json"},
        )

    def download_app_yaml_schema() -> Response:
        return Response(
            content=schema.to_specification().to_yaml(),
            headers={"Content-Type": "application/octet-stream"},
        )

    def serve_asyncapi_schema(
        sidebar: bool = True,
        info: bool = True,
        servers: bool = True,
        operations: bool = True,
        messages: bool = True,
        schemas: bool = True,
        errors: bool = True,
        expandMessageExamples: bool = True,  # the page's query parameter, named as before
    ) -> HTMLResponse:
        """Serve the AsyncAPI schema as an HTML response."""
        return HTMLResponse(
            get_asyncapi_html(
                schema.to_specification(),
                sidebar=sidebar,
                info=info,
                servers=servers,
                operations=operations,
                messages=messages,
                schemas=schemas,
                errors=errors,
                expand_message_examples=expandMessageExamples,
                # The page as it was (its inline script is what the CSP admits); the
                # endpoint it names does not exist here, so the plugin's calls get a 404.
                try_it_out_path=f"{ASYNCAPI_PATH}/try",
            )
        )

    router = APIRouter(tags=["asyncapi"])
    router.get(ASYNCAPI_PATH)(serve_asyncapi_schema)
    router.get(f"{ASYNCAPI_PATH}.json")(download_app_json_schema)
    router.get(f"{ASYNCAPI_PATH}.yaml")(download_app_yaml_schema)
    return router
