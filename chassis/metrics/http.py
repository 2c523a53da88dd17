"""HTTP requests counted and timed by route template, method and status.

The label is the matched route's path template (`/paths/{pathway_id}`), never the raw path:
ids in paths would make a new series per id. A request no route matches is `unmatched`, one
label for every unknown path. Requests the edge answers before routing (a 429, a 413, a CSRF
refusal) are labelled with the route they were meant for, found by matching the path against
the application's routes. /metrics itself is not counted: a scrape would count itself.
"""

from __future__ import annotations

import time

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chassis.metrics.definitions import HTTP_DURATION, HTTP_REQUESTS

METRICS_PATH = "/metrics"
UNMATCHED = "unmatched"
# Methods outside these are one label too: a client may send any token as a method.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_label(scope: Scope, routes: list[BaseRoute]) -> str:
    """The path template of the route that took (or would take) the request."""
    route = scope.get("route")
    if route is None:
        # Answered before the router ran: find the route it was meant for.
        route = next(
            (r for r in routes if r.matches(scope)[0] is not Match.NONE),
            None,
        )
    template = getattr(route, "path_format", None)
    return template if isinstance(template, str) and template else UNMATCHED


def method_label(scope: Scope) -> str:
    method = str(scope.get("method", ""))
    return method if method in METHODS else "other"


class HttpMetricsMiddleware:
    """Outside the edge's refusals and its 500 answer, so every answer is counted; the status
    is 500 too when an exception passes through without an answer."""

    def __init__(self, app: ASGIApp, service: str, routes: list[BaseRoute]) -> None:
        self.app = app
        self.service = service
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == METRICS_PATH:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watched_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        finally:
            method = method_label(scope)
            route = route_label(scope, self.routes)
            HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
            HTTP_DURATION.labels(self.service, method, route).observe(time.perf_counter() - started)
