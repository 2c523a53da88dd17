"""Server-side sessions of the pages (issue 12, item 5 and "JSON APIs take bearer tokens only"
of item 7; decision 0022).

The browser holds a random id in a `__Host-` cookie; the row holds who signed in and sealed
tokens; sessions end when idle and at an absolute lifetime; signing out ends them here and at
the issuer; JSON APIs never take the cookie. Against the whole system, except the store's own
timing (a real PostgreSQL with a clock of the test's) and the route listing (the applications
built in this process).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
from fastapi import routing
from fastapi.dependencies.models import Dependant

from chassis.auth import Principal
from chassis.event_store import create_pool
from chassis.http_auth import BEARER_MARK, SESSION_COOKIE, page_session
from chassis.migrate import upgrade_async
from chassis.sessions import SessionStore
from chassis.settings import ServiceSettings
from deploy.system import RunningSystem
from deploy.test_infrastructure import TestInfrastructure
from tests.security.in_process import development_app
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory
from tests.support.sign_in import (
    Session,
    id_hash,
    idle_session,
    in_database,
    sign_in,
)

IDLE_MINUTES = ServiceSettings.model_fields["session_idle_minutes"].default
ABSOLUTE_MINUTES = ServiceSettings.model_fields["session_absolute_minutes"].default
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)"')
_TASK_LINK = re.compile(r'href="(/tehtavat/[^"/?]+)"')


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found and found.group(1), "the page carries no CSRF token"
    return found.group(1)


def row_of(system: RunningSystem, service: str, cookie: str) -> dict[str, Any] | None:
    rows = in_database(
        system, service, "SELECT * FROM sessions WHERE id_hash = $1", id_hash(cookie)
    )
    return rows[0] if rows else None


@pytest.fixture
def client_with_path(system: RunningSystem, identities: IdentityFactory) -> Any:
    counselor, client = identities.staff("counselor"), identities.client()
    open_path(system, counselor, client)
    wait_for_plan(system, client)
    return client


def signed_in_client(
    system: RunningSystem, client: Any, next_path: str = "/", previous: str = ""
) -> Session:
    return sign_in(
        system, "tasks", identity_code=client.identity_code, next_path=next_path, previous=previous
    )


# -- the cookie and the row ---------------------------------------------------------------


def test_the_session_cookie_is_a_host_cookie_secure_httponly_lax_for_this_browser_only(
    system: RunningSystem, client_with_path: Any
) -> None:
    session = signed_in_client(system, client_with_path)
    set_cookie = next(
        value
        for value in session.callback.headers.get_list("set-cookie")
        if value.startswith(f"{SESSION_COOKIE}=")
    )
    assert SESSION_COOKIE.startswith("__Host-")
    attributes = {part.strip().split("=")[0].lower() for part in set_cookie.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= attributes
    assert "Path=/" in set_cookie and "SameSite=lax" in set_cookie
    # No Domain (a __Host- cookie may have none) and no lifetime: gone when the browser is.
    assert not attributes & {"domain", "max-age", "expires"}
    assert session.get("/").status_code == 200


def test_the_cookie_is_a_random_id_and_neither_cookie_nor_row_holds_a_token_or_identity_code(
    system: RunningSystem, client_with_path: Any
) -> None:
    session = signed_in_client(system, client_with_path)
    code = client_with_path.identity_code
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", session.cookie), "not a 32-byte random id"
    row = row_of(system, "tasks", session.cookie)
    assert row is not None and row["id_hash"] == hashlib.sha256(session.cookie.encode()).digest()
    stored = repr(row).encode() + bytes(row["sealed_tokens"])
    for secret in (code.encode(), code.lower().encode(), session.cookie.encode(), b"eyJ"):
        assert secret not in stored
    assert row["role"] == "client" and row["client_ref"].startswith("c-")


# -- when a session ends ------------------------------------------------------------------


def test_a_session_idle_past_the_timeout_has_ended_and_forgets_its_tokens(
    system: RunningSystem, client_with_path: Any
) -> None:
    session = signed_in_client(system, client_with_path)
    idle_session(system, "tasks", session.cookie, IDLE_MINUTES - 1)
    assert session.get("/").status_code == 200  # a minute short: still on, and seen now
    idle_session(system, "tasks", session.cookie, IDLE_MINUTES + 1)
    ended = session.get("/", follow_redirects=False)
    assert ended.status_code == 303
    assert ended.headers["location"].startswith("/kirjaudu?next=")
    assert "istunto%3Dvanhentunut" in ended.headers["location"]  # the page will say why
    row = row_of(system, "tasks", session.cookie)
    assert row is not None and row["sealed_tokens"] is None


def test_a_session_past_its_absolute_lifetime_has_ended_however_busy(
    system: RunningSystem, client_with_path: Any
) -> None:
    session = signed_in_client(system, client_with_path)
    row = row_of(system, "tasks", session.cookie)
    assert row is not None
    assert row["expires_at"] - row["created_at"] <= timedelta(minutes=ABSOLUTE_MINUTES)
    in_database(
        system,
        "tasks",
        "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id_hash = $1",
        id_hash(session.cookie),
    )
    ended = session.get("/", follow_redirects=False)
    assert ended.status_code == 303 and ended.headers["location"].startswith("/kirjaudu")


def test_signing_out_ends_the_session_here_and_at_the_issuer(system: RunningSystem) -> None:
    session = sign_in(system, "guidance", account="ohjaaja-demo")
    issuer_session = f"{system.issuer_url}/dev/sessions/{session.issuer_session}"
    assert httpx.get(issuer_session, timeout=10).status_code == 200
    page = session.get("/")
    signed_out = httpx.post(
        f"{session.base}/kirjaudu-ulos",
        headers=session.headers,
        data={"csrf_token": csrf_of(page)},
        timeout=10,
    )
    assert signed_out.status_code == 303
    target = signed_out.headers["location"]
    assert target.startswith(f"{system.issuer_url}/logout?")
    assert "id_token_hint=" in target and "post_logout_redirect_uri=" in target
    assert f'{SESSION_COOKIE}=""' in signed_out.headers["set-cookie"]
    assert row_of(system, "guidance", session.cookie) is None
    # The old cookie opens nothing any more.
    again = session.get("/", follow_redirects=False)
    assert again.status_code == 200 and "Kirjaudu" in again.text
    assert 'action="/kirjaudu-ulos"' not in again.text
    # The issuer ends its own session and sends the browser back.
    at_issuer = httpx.get(target, timeout=10)
    assert at_issuer.status_code == 303
    assert at_issuer.headers["location"] == f"{session.base}/"
    assert httpx.get(issuer_session, timeout=10).status_code == 404


def test_a_json_api_called_with_only_the_session_cookie_is_refused(
    system: RunningSystem, client_with_path: Any
) -> None:
    session = signed_in_client(system, client_with_path)
    with_cookie = httpx.get(f"{session.base}/me/plan", headers=session.headers, timeout=10)
    assert with_cookie.status_code == 401
    with_token = httpx.get(f"{session.base}/me/plan", headers=client_with_path.headers, timeout=10)
    assert with_token.status_code == 200


def test_what_a_client_wrote_as_the_session_ran_out_is_kept_as_a_draft(
    system: RunningSystem, client_with_path: Any
) -> None:
    session = signed_in_client(system, client_with_path)
    found = _TASK_LINK.search(session.get("/").text)
    assert found, "the plan page links no task"
    task_path = found.group(1)
    form_page = session.get(task_path)
    idle_session(system, "tasks", session.cookie, IDLE_MINUTES + 1)
    text = f"Kirjoitin tämän pitkään {uuid4().hex[:6]}, eikä se saa kadota."
    sent = httpx.post(
        f"{session.base}{task_path}",
        headers=session.headers,
        data={"text": text, "action": "submit", "csrf_token": csrf_of(form_page)},
        timeout=10,
    )
    assert sent.status_code == 303
    assert "istunto%3Dvanhentunut" in sent.headers["location"]
    again = signed_in_client(system, client_with_path, task_path, previous=session.cookie)
    assert again.cookie != session.cookie
    assert row_of(system, "tasks", session.cookie) is None  # the new sign-in ended the old
    assert text in again.get(task_path).text
    plan = httpx.get(f"{session.base}/me/plan", headers=client_with_path.headers, timeout=10)
    assert not any(task["answered"] for week in plan.json()["weeks"] for task in week["tasks"])


# -- which door each route has ------------------------------------------------------------


def _calls(dependant: Dependant) -> list[Callable[..., Any]]:
    found = [dependant.call] if dependant.call is not None else []
    for sub in dependant.dependencies:
        found += _calls(sub)
    return found


@pytest.mark.parametrize("service", ["enrolment", "tasks", "guidance", "reporting"])
def test_every_page_knows_the_caller_by_the_session_and_every_api_by_a_bearer_token(
    service: str,
) -> None:
    app = development_app(service)
    pages, apis = [], []
    for context in routing.iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, routing.APIRoute):
            continue
        calls = _calls(context.dependant)
        by_session = page_session in calls
        by_bearer = any(getattr(call, BEARER_MARK, False) for call in calls)
        name = f"{sorted(context.methods or ())} {context.path_format}"
        assert not (by_session and by_bearer), f"{name} takes both the cookie and a token"
        if route.include_in_schema:  # the JSON API, described in OpenAPI
            assert not by_session, f"{name} is an API that knows the session cookie"
            apis.append(name)
        else:  # pages, signing in and out, the choice of language
            assert by_session, f"{name} is a page without the session dependency"
            assert not by_bearer, f"{name} is a page that takes a bearer token"
            pages.append(name)
    assert apis, "no API route found"
    if service != "enrolment":  # enrolment has no pages
        assert any(path.endswith(" /") for path in pages), pages


# -- the store's clock: idle, absolute, the rescue grace and the sweep ----------------------


@pytest.fixture
async def session_pool(infrastructure: TestInfrastructure) -> AsyncIterator[asyncpg.Pool]:
    dsn = await infrastructure.create_database("sessions")
    await upgrade_async(dsn)
    pool = await create_pool(dsn, max_size=4)
    yield pool
    await pool.close()


CLIENT = Principal(subject="pw-1", role="client", tenant="kanta-hame", client_ref="c-" + "1" * 32)


async def test_the_store_ends_sessions_by_idle_and_absolute_time_and_sweeps_them_later(
    session_pool: asyncpg.Pool,
) -> None:
    start = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    now = [start]
    store = SessionStore(
        session_pool,
        idle=timedelta(minutes=15),
        absolute=timedelta(hours=4),
        rescue_grace=timedelta(hours=2),
        now=lambda: now[0],
    )

    async def opened() -> str:
        return await store.open(
            CLIENT, access_token="at", id_token="it", token_expires_at=start + timedelta(hours=8)
        )

    busy, idle = await opened(), await opened()
    # Busy: a request every 10 minutes keeps it on until the absolute lifetime.
    for minutes in range(10, 240, 10):
        now[0] = start + timedelta(minutes=minutes)
        found = await store.find(busy)
        assert found is not None and found.live, minutes
        assert found.access_token == "at" and found.id_token == "it"
        if minutes == 20:  # idle since 09:00: ended at 09:15, kept without its tokens
            ended = await store.find(idle)
            assert ended is not None and not ended.live and ended.access_token is None
            assert ended.principal == CLIENT  # who held it: for the draft rescue only
        if minutes == 130:  # 11:10, within the idle one's grace (until 11:15)
            assert await store.sweep() == 0
        if minutes == 140:
            assert await store.sweep() == 1
            assert await store.find(idle) is None
    now[0] = start + timedelta(hours=4)
    ended = await store.find(busy)
    assert ended is not None and not ended.live and ended.access_token is None
    now[0] = start + timedelta(hours=6, minutes=-1)
    assert await store.sweep() == 0
    now[0] = start + timedelta(hours=6, minutes=1)
    assert await store.find(busy) is None  # past the grace: deleted when it comes back
    assert await session_pool.fetchval("SELECT count(*) FROM sessions") == 0


async def test_a_session_never_outlives_its_access_token_and_a_strange_cookie_finds_nothing(
    session_pool: asyncpg.Pool,
) -> None:
    start = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    now = [start]
    store = SessionStore(
        session_pool, idle=timedelta(minutes=15), absolute=timedelta(hours=4), now=lambda: now[0]
    )
    session_id = await store.open(
        CLIENT, access_token="at", id_token="it", token_expires_at=start + timedelta(minutes=5)
    )
    now[0] = start + timedelta(minutes=4)
    assert (found := await store.find(session_id)) is not None and found.live
    now[0] = start + timedelta(minutes=5)
    assert (found := await store.find(session_id)) is not None and not found.live
    for strange in ("", "x" * 500, session_id[:-1], session_id + "A"):
        assert await store.find(strange) is None
    ended = await store.end(session_id)
    assert ended is not None and await store.find(session_id) is None
