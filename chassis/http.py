"""HTTP conventions shared by the services: correlation ids, problem details, language.

Every error a caller can meet becomes an RFC 9457 problem-details body whose `detail` is in the
caller's language (Finnish unless they asked for Swedish), and one log line; no stack trace
ever reaches the caller.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chassis.clean_text import ERROR_TYPE_PREFIX, TextRefused
from chassis.errors import DomainError
from chassis.event_store import ConcurrencyConflict
from chassis.i18n import Catalogue, Language, negotiate_language
from chassis.logs import CORRELATION_HEADER, correlation_scope, get_logger, parse_correlation_id
from chassis.outages import HANDLED_TYPES, RETRY_AFTER_SECONDS, is_outage

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"


class CorrelationMiddleware:
    """Binds the request's correlation id to its log lines and echoes it in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = dict(scope["headers"]).get(CORRELATION_HEADER.lower().encode())
        correlation_id = parse_correlation_id(raw)
        scope.setdefault("state", {})["correlation_id"] = correlation_id

        status = 500

        async def send_with_header(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((CORRELATION_HEADER.lower().encode(), str(correlation_id).encode()))
                message["headers"] = headers
            await send(message)

        started = time.perf_counter()
        with correlation_scope(correlation_id, path=scope.get("path", "")):
            try:
                await self.app(scope, receive, send_with_header)
            finally:
                # One access line per request, in JSON like every other line.
                log.info(
                    "request handled",
                    method=scope.get("method"),
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                )


def request_language(request: Request) -> Language:
    return negotiate_language(
        request.query_params.get("lang") or request.cookies.get("lang"),
        request.headers.get("accept-language"),
    )


def problem(
    request: Request,
    catalogue: Catalogue,
    status: int,
    code: str,
    params: dict[str, object] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    lang = request_language(request)
    texts: dict[str, object] = {}
    listed: dict[str, Any] = {}
    for name, value in (params or {}).items():
        if isinstance(value, list | tuple):
            # A list of message keys: translated for the reader, kept as keys for programs.
            texts[name] = ", ".join(catalogue.text(str(item), lang) for item in value)
            listed[name] = list(value)
        else:
            texts[name] = value
    body: dict[str, Any] = {
        "type": f"https://digipolku.fi/problems/{code.removeprefix('error.')}",
        "title": catalogue.text("error.title", lang),
        "status": status,
        "detail": catalogue.text(code, lang, **texts),
        "code": code,
        "instance": request.url.path,
    }
    body.update(listed)
    body.update(extra or {})
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers={"Content-Language": lang}
    )


def _field_name(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def install_problem_handlers(app: FastAPI, catalogue: Catalogue) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        log.info("command refused", code=exc.code, status=exc.status)
        return problem(request, catalogue, exc.status, exc.code, exc.params)

    @app.exception_handler(ConcurrencyConflict)
    async def conflict(request: Request, exc: ConcurrencyConflict) -> JSONResponse:
        log.info(
            "version conflict", stream_id=exc.stream_id, expected=exc.expected, actual=exc.actual
        )
        return problem(
            request,
            catalogue,
            409,
            "error.conflict",
            extra={"expected_version": exc.expected, "current_version": exc.actual},
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(error.get("type") == "json_invalid" for error in errors):
            log.info("malformed json")
            return problem(request, catalogue, 400, "error.malformed_json")
        fields = sorted({_field_name(error["loc"]) for error in errors})
        log.info("invalid request", fields=fields, types=sorted({e["type"] for e in errors}))
        details = [{"field": _field_name(error["loc"]), "type": error["type"]} for error in errors]
        refusals = [error for error in errors if error["type"].startswith(ERROR_TYPE_PREFIX)]
        if refusals:
            # A text we cannot store: say which field and what is wrong with it, in words.
            lang = request_language(request)
            sentences = [_text_sentence(catalogue, lang, error) for error in refusals]
            others = sorted({_field_name(e["loc"]) for e in errors if e not in refusals})
            if others:
                sentences.append(catalogue.text("error.validation", lang, fields=", ".join(others)))
            return problem(
                request,
                catalogue,
                422,
                "error.invalid_text",
                {"problems": " ".join(sentences)},
                {"errors": details},
            )
        return problem(
            request,
            catalogue,
            422,
            "error.validation",
            {"fields": ", ".join(fields)},
            {"errors": details},
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            # FastAPI's only 400 of its own: a body it could not decode (e.g. invalid UTF-8).
            400: "error.malformed_request",
            404: "error.not_found",
            405: "error.method_not_allowed",
            401: "error.unauthorized",
            403: "error.forbidden",
            413: "error.too_large",
        }.get(exc.status_code, "error.internal")
        log.info("http error", status=exc.status_code)
        return problem(request, catalogue, exc.status_code, code)

    async def outage(request: Request, exc: Exception) -> Response:
        if not is_outage(exc):
            raise exc  # a bug, not an outage: ServerErrorAnswer makes it the 500 it is
        return outage_answer(request, catalogue, exc)

    for exception_type in HANDLED_TYPES:
        app.add_exception_handler(exception_type, outage)

    # Unexpected exceptions are answered by chassis.http_edge.ServerErrorAnswer, inside the
    # correlation middleware, so that the 500 carries the correlation id and the connection lives.


def outage_answer(request: Request, catalogue: Catalogue, exc: BaseException) -> Response:
    """503 with Retry-After: a page for a browser, problem+json for everyone else.

    The command may or may not have been stored before the outage: sending it again with the
    same idempotency key is safe either way (decision 0028).
    """
    log.warning("dependency unavailable", error=type(exc).__name__, detail=str(exc)[:200])
    # Imported here: the edge pages import this module.
    from chassis.web.edge_pages import edge_page, wants_page

    response: Response
    if wants_page(request):
        response = edge_page(
            request, catalogue, 503, "error.unavailable_title", "error.unavailable"
        )
    else:
        response = problem(request, catalogue, 503, "error.unavailable")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def text_refusal(catalogue: Catalogue, lang: Language, refused: TextRefused) -> str:
    """The sentence a page shows for a refused text: which field, and what is wrong."""
    field = catalogue.text(refused.label, lang) if refused.label else ""
    return catalogue.text(f"error.text.{refused.reason}", lang, field=field, **refused.params)


def _text_sentence(catalogue: Catalogue, lang: Language, error: Any) -> str:
    context = dict(error.get("ctx") or {})
    label = str(context.pop("label", ""))
    reason = str(context.pop("reason", ""))
    # Without a label of its own the field is named as the API knows it.
    field = catalogue.text(label, lang) if label else _field_name(error["loc"])
    return catalogue.text(f"error.text.{reason}", lang, field=field, **context)
