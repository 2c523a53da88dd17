"""Rate limits: signing in per address, writes per principal and per address (decision 0023).

A moving window (the `limits` library) kept in this process's memory. Several replicas of a
service each keep their own count, so a caller spread over N replicas by the load balancer gets
up to N times the limit; a shared store (Redis, say) is the change that makes it one limit, and
belongs with the deployment (issues 13 and 16).

- Sign-in (`/kirjaudu`, `/auth/callback`): `settings.rate_limit_sign_in` per address. The
  issuer is not ours and keeps its own limits.
- Writes (POST, PUT, PATCH, DELETE): `settings.rate_limit_writes` per principal, counted by the
  credential itself (a hash of the bearer token or session cookie, unverified: a forged token
  counts against itself, never against the person it names), and ADDRESS_SHARE times as many
  per address, since a whole office may sign in from behind one address.

The address is the connection's peer (`request.client.host`). Behind a proxy that is the
proxy's, unless uvicorn is told to trust it (`--forwarded-allow-ips`), when it is the
X-Forwarded-For address the proxy gave.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Collection
from dataclasses import dataclass

from fastapi import Request
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from chassis.http import problem
from chassis.i18n import Catalogue
from chassis.logs import get_logger
from chassis.web.edge_pages import edge_page, wants_page

log = get_logger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# How many principals' worth of writes one address may send (an office behind one NAT).
ADDRESS_SHARE = 10


@dataclass(frozen=True)
class Limited:
    """A request over a limit: which one, and in how many seconds a request is let through."""

    limit: str
    retry_after: int


def scaled(item: RateLimitItem, factor: int) -> RateLimitItem:
    return type(item)(item.amount * factor, item.multiples, item.namespace)


def credential_key(request: Request, session_cookie: str) -> str | None:
    """Who is writing, as far as the request says: a digest of its bearer token or session."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    credential = token.strip() if scheme.lower() == "bearer" else ""
    credential = credential or request.cookies.get(session_cookie, "")
    if not credential:
        return None
    return hashlib.sha256(credential.encode()).hexdigest()[:32]


class RateLimits:
    def __init__(self, sign_in: str, writes: str, sign_in_paths: Collection[str]) -> None:
        self.sign_in = parse(sign_in)
        self.writes = parse(writes)
        self.writes_per_address = scaled(self.writes, ADDRESS_SHARE)
        self.sign_in_paths = frozenset(sign_in_paths)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def check(self, request: Request, session_cookie: str) -> Limited | None:
        address = request.client.host if request.client else "unknown"
        if request.url.path in self.sign_in_paths:
            return await self._hit("sign_in", self.sign_in, address)
        if request.method not in WRITE_METHODS:
            return None
        limited = await self._hit("writes_per_address", self.writes_per_address, address)
        principal = credential_key(request, session_cookie)
        if limited is None and principal is not None:
            limited = await self._hit("writes_per_principal", self.writes, principal)
        return limited

    async def _hit(self, name: str, item: RateLimitItem, who: str) -> Limited | None:
        if await self.limiter.hit(item, name, who):
            return None
        stats = await self.limiter.get_window_stats(item, name, who)
        return Limited(name, max(1, math.ceil(stats.reset_time - time.time())))


class RateLimitMiddleware:
    """Answers 429 with Retry-After before the route runs: a page for a browser, else a problem."""

    def __init__(
        self, app: ASGIApp, catalogue: Catalogue, limits: RateLimits, session_cookie: str
    ) -> None:
        self.app = app
        self.catalogue = catalogue
        self.limits = limits
        self.session_cookie = session_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        limited = await self.limits.check(request, self.session_cookie)
        if limited is None:
            await self.app(scope, receive, send)
            return
        log.info("rate limited", limit=limited.limit, method=request.method)
        seconds = limited.retry_after
        response: Response
        if wants_page(request):
            response = edge_page(
                request,
                self.catalogue,
                429,
                "error.rate_limited_title",
                "error.rate_limited",
                seconds=seconds,
            )
        else:
            response = problem(
                request, self.catalogue, 429, "error.rate_limited", {"seconds": seconds}
            )
        response.headers["Retry-After"] = str(seconds)
        await response(scope, receive, send)
