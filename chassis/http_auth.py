"""FastAPI dependencies that give a handler the verified caller (decision 0022).

Two doors, never mixed:
- JSON APIs take an access token in `Authorization: Bearer` only (`current_principal`,
  `require_role`). A session cookie opens nothing there, so a page another site makes a
  browser load can never call an API with the client's session.
- Pages know the caller by the server-side session the `__Host-` cookie names
  (`page_session`, made a dependency of every page route by `page_router`). They forward the
  session's access token when they read from another service (`page_access_token`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import APIRouter, Depends, Request

from chassis.auth import Principal, Role
from chassis.errors import Forbidden, Unauthorized
from chassis.sessions import Session, SessionStore

if TYPE_CHECKING:
    from chassis.service import ServiceRuntime

# The browser sends a __Host- cookie only over HTTPS, only from the host that set it, with
# Path=/ and no Domain: no other host (or subdomain) can set or overwrite it. The CSRF tokens
# (chassis.csrf) are bound to its value.
SESSION_COOKIE = "__Host-digipolku_session"
# Marks the dependencies that read a bearer token (the route listing test looks for it).
BEARER_MARK = "__digipolku_bearer__"


def runtime_of(request: Request) -> ServiceRuntime:
    # Not chassis.service's: the shared pages module, which the service imports, uses these
    # dependencies, so this module must not import the service.
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


def bearer_token(request: Request) -> str | None:
    """The access token of the `Authorization: Bearer` header; a cookie is never one."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


Dependency = TypeVar("Dependency", bound=Callable[..., Any])


def _bearer(dependency: Dependency) -> Dependency:
    setattr(dependency, BEARER_MARK, True)
    return dependency


@_bearer
async def current_principal(request: Request) -> Principal:
    """The caller of a JSON API, from their bearer access token (401 without one)."""
    token = bearer_token(request)
    if not token:
        raise Unauthorized("error.unauthorized")
    principal = await runtime_of(request).verifier.verify(token)
    request.state.principal = principal
    return principal


def require_role(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency that lets only these roles through (403 for the others)."""

    @_bearer
    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if principal.role not in roles:
            raise Forbidden("error.forbidden")
        return principal

    return dependency


def sessions_of(request: Request) -> SessionStore:
    runtime = runtime_of(request)
    return SessionStore.from_settings(runtime.require_pool(), runtime.settings)


async def page_session(request: Request) -> Session | None:
    """The session the cookie names, live or lately ended (None without one).

    The dependency of every page route (see `page_router`); found once per request.
    """
    if hasattr(request.state, "page_session"):
        found: Session | None = request.state.page_session
        return found
    session_id = request.cookies.get(SESSION_COOKIE, "")
    found = await sessions_of(request).find(session_id) if session_id else None
    request.state.page_session = found
    if found is not None and found.live:
        request.state.principal = found.principal  # the pages offer signing out
    return found


async def current_page_principal(request: Request) -> Principal:
    """Who is signed in on a page: Unauthorized with `error.token_expired` when the session
    has lately ended (the page says so after signing in again), `error.unauthorized` when
    there is none."""
    session = await page_session(request)
    if session is None:
        raise Unauthorized("error.unauthorized")
    if not session.live:
        raise Unauthorized("error.token_expired")
    return session.principal


def page_access_token(request: Request) -> str:
    """The signed-in person's access token, for a page's reads from another service."""
    session: Session | None = getattr(request.state, "page_session", None)
    if session is None or not session.live or not session.access_token:
        return ""
    return session.access_token


def page_router() -> APIRouter:
    """A router for pages: its routes know the caller by the session, never a bearer token."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(page_session)])
