"""Signing in to a service's pages the way a browser does, over plain HTTP with httpx.

The session and sign-in cookies are `__Host-` and Secure: httpx's cookie jar keeps them from
an http:// address (Chromium does not, as 127.0.0.1 is a secure context there), so these
helpers carry them in the Cookie header themselves.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx

from chassis.http_auth import SESSION_COOKIE
from chassis.oidc_login import LOGIN_COOKIE
from deploy.dev_issuer import ISSUER_SESSION_COOKIE
from deploy.system import RunningSystem

_REQUEST_ID = re.compile(r'name="request_id" value="([^"]+)"')


def cookie_header(**cookies: str) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@dataclass
class SignIn:
    """One sign-in in progress, step by step (tests of the flow stop or meddle in between)."""

    system: RunningSystem
    service: str
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))
    login_cookie: str = ""
    authorize_url: str = ""
    issuer_session: str = ""

    @property
    def base(self) -> str:
        return self.system.urls[self.service]

    def start(self, next_path: str = "/") -> httpx.Response:
        started = self.http.get(f"{self.base}/kirjaudu", params={"next": next_path})
        assert started.status_code == 303, started.text
        self.login_cookie = started.cookies[LOGIN_COOKIE]
        self.authorize_url = started.headers["location"]
        return started

    def identify(
        self,
        *,
        identity_code: str | None = None,
        account: str | None = None,
        level: str = "substantial",
        authorize_url: str | None = None,
    ) -> str:
        """Sign in at the issuer; returns the callback address it sends the browser to."""
        page = self.http.get(authorize_url or self.authorize_url)
        assert page.status_code == 200, page.text
        found = _REQUEST_ID.search(page.text)
        assert found, "the issuer's sign-in page has no request id"
        issuer = self.system.issuer_url
        if account is not None:
            form = {"account": account, "request_id": found.group(1)}
            answered = self.http.post(f"{issuer}/authorize/staff", data=form)
        else:
            assert identity_code is not None
            form = {"identity_code": identity_code, "level": level, "request_id": found.group(1)}
            answered = self.http.post(f"{issuer}/authorize", data=form)
        assert answered.status_code == 303, answered.text
        self.issuer_session = answered.cookies.get(ISSUER_SESSION_COOKIE) or ""
        return answered.headers["location"]

    def come_back(
        self, callback_url: str, login_cookie: str | None = None, session_cookie: str = ""
    ) -> httpx.Response:
        """Back at the service; a browser also sends the session cookie it still has."""
        cookies = {LOGIN_COOKIE: self.login_cookie if login_cookie is None else login_cookie}
        if session_cookie:
            cookies[SESSION_COOKIE] = session_cookie
        return self.http.get(callback_url, headers=cookie_header(**cookies))


@dataclass(frozen=True)
class Session:
    """A signed-in browser's session on one service."""

    base: str
    cookie: str
    issuer_session: str
    callback: httpx.Response

    @property
    def headers(self) -> dict[str, str]:
        return cookie_header(**{SESSION_COOKIE: self.cookie})

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", headers=self.headers, timeout=10, **kwargs)  # type: ignore[arg-type]


def sign_in(
    system: RunningSystem,
    service: str,
    *,
    identity_code: str | None = None,
    account: str | None = None,
    next_path: str = "/",
    previous: str = "",
) -> Session:
    """The whole sign-in: the service's page, the issuer's, and back with a session.

    `previous`: the session cookie the browser still holds from before.
    """
    flow = SignIn(system, service)
    flow.start(next_path)
    callback = flow.come_back(
        flow.identify(identity_code=identity_code, account=account), session_cookie=previous
    )
    assert callback.status_code == 303, callback.text
    return Session(flow.base, callback.cookies[SESSION_COOKIE], flow.issuer_session, callback)


def in_database(
    system: RunningSystem, service: str, query: str, *args: object
) -> list[dict[str, Any]]:
    """Run one statement in a service's database (tests that look at or age a session row).

    In a thread of its own: the browser tests' thread already runs Playwright's event loop.
    """

    async def run() -> list[dict[str, Any]]:
        connection = await asyncpg.connect(system.infrastructure.postgres.dsn_for(service))
        try:
            return [dict(row) for row in await connection.fetch(query, *args)]
        finally:
            await connection.close()

    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, run()).result()


def id_hash(cookie: str) -> bytes:
    return hashlib.sha256(cookie.encode()).digest()


def idle_session(system: RunningSystem, service: str, cookie: str, minutes: int) -> None:
    """As if the session's last request had come `minutes` earlier."""
    in_database(
        system,
        service,
        "UPDATE sessions SET last_seen_at = last_seen_at - make_interval(mins => $2)"
        " WHERE id_hash = $1",
        id_hash(cookie),
        minutes,
    )
