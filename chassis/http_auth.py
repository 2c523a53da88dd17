"""FastAPI dependencies that give a handler the verified caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from chassis.auth import Principal, Role
from chassis.errors import Forbidden, Unauthorized
from chassis.service import runtime_of

SESSION_COOKIE = "digipolku_session"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return request.cookies.get(SESSION_COOKIE)


async def current_principal(request: Request) -> Principal:
    token = bearer_token(request)
    if not token:
        raise Unauthorized("error.unauthorized")
    principal = await runtime_of(request).verifier.verify(token)
    request.state.principal = principal
    return principal


def require_role(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency that lets only these roles through (403 for the others)."""

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if principal.role not in roles:
            raise Forbidden("error.forbidden")
        return principal

    return dependency
