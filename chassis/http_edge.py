"""The HTTP edge every service shares: correlation, security headers, polite server errors,
rate limits, body size limit and CSRF.

Order, outermost first: correlation id (every answer carries it) → security headers (every
answer, errors included) → server error answer (an unexpected exception becomes a problem+json
500 and goes no further, so uvicorn keeps the keep-alive connection) → rate limits (a 429
before anything is read) → body size limit (a 413 before the body is read, before any route,
dependency or token check runs) → CSRF (reads a form only within the size limit) → FastAPI's
own exception handlers and routes.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chassis.asyncapi_docs import ASYNCAPI_PATH
from chassis.csrf import CsrfMiddleware
from chassis.http import CorrelationMiddleware, problem
from chassis.http_auth import SESSION_COOKIE
from chassis.i18n import Catalogue
from chassis.logs import get_logger
from chassis.rate_limits import RateLimitMiddleware, RateLimits
from chassis.security_headers import SecurityHeaders
from chassis.settings import ServiceSettings

log = get_logger(__name__)


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a body without a usable Content-Length grows past the limit.

    An HTTPException, so that FastAPI's body reading lets it through to the problem handlers
    (it turns any other exception met while reading into a 400).
    """

    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodyLimitMiddleware:
    """Answers 413 when the declared or the streamed request body exceeds `max_bytes`."""

    def __init__(self, app: ASGIApp, catalogue: Catalogue, max_bytes: int) -> None:
        self.app = app
        self.catalogue = catalogue
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            # Decided from the header alone: not a byte of the body is read.
            log.info("request body too large", content_length=declared, limit=self.max_bytes)
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    log.info("streamed request body too large", limit=self.max_bytes)
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            # Read outside a route's body parsing (e.g. by a middleware): answer it here.
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(Request(scope, receive), self.catalogue, 413, "error.too_large")
        # The unread rest of the body would be taken for the next request: close afterwards.
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


class ServerErrorAnswer:
    """Turns an unexpected exception into a problem+json 500, logged once with its traceback.

    Starlette's own last resort sits outside every middleware (no correlation id) and re-raises
    after answering, which makes uvicorn log the error again and drop the connection.
    """

    def __init__(self, app: ASGIApp, catalogue: Catalogue) -> None:
        self.app = app
        self.catalogue = catalogue

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception:
            log.exception("unexpected error")
            if started:
                # Half an answer is already on the wire; only closing the connection is honest.
                raise
            response = problem(Request(scope, receive), self.catalogue, 500, "error.internal")
            await response(scope, receive, send)


def install_edge(app: FastAPI, catalogue: Catalogue, settings: ServiceSettings) -> None:
    """The shared middlewares; `add_middleware` wraps, so the last one added is outermost."""
    # Imported here: the sign-in routes import chassis.service, which imports this module.
    from chassis.oidc_login import CALLBACK_PATH, LOGIN_PATH

    app.add_middleware(
        CsrfMiddleware,
        catalogue=catalogue,
        secret=settings.session_secret.get_secret_value().encode(),
    )
    app.add_middleware(BodyLimitMiddleware, catalogue=catalogue, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        RateLimitMiddleware,
        catalogue=catalogue,
        limits=RateLimits(
            settings.rate_limit_sign_in,
            settings.rate_limit_writes,
            sign_in_paths=(LOGIN_PATH, CALLBACK_PATH),
        ),
        session_cookie=SESSION_COOKIE,
    )
    app.add_middleware(ServerErrorAnswer, catalogue=catalogue)
    docs = (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url, ASYNCAPI_PATH)
    app.add_middleware(
        SecurityHeaders,
        issuer=settings.oidc_issuer,
        production=not settings.development,
        docs_paths={path for path in docs if path},
    )
    app.add_middleware(CorrelationMiddleware)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # uvicorn refuses such a request before it reaches us
    return None
