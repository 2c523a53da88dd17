"""Signing in to a service's pages with OpenID Connect (authorization-code flow).

/kirjaudu sends the browser to the issuer with a fresh `state` and `nonce` kept in a short-lived
HttpOnly cookie; /auth/callback checks the state, exchanges the code at the issuer's token
endpoint, verifies the ID token (signature, issuer, audience, expiry) and its nonce, and keeps it
in the session cookie that `chassis.http_auth` reads. A client whose identification was not
strong gets a refusal page instead of a session.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from chassis.errors import DomainError, Forbidden, Unauthorized
from chassis.http import request_language
from chassis.http_auth import SESSION_COOKIE
from chassis.logs import get_logger
from chassis.service import runtime_of

log = get_logger(__name__)

LOGIN_COOKIE = "digipolku_login"
LOGIN_PATH = "/kirjaudu"
CALLBACK_PATH = "/auth/callback"
LOGOUT_PATH = "/kirjaudu-ulos"

# Renders a page that tells a person why signing in did not work (status, message key).
RefusalPage = Callable[[Request, int, str], Response]


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def login_router(client_id: str, refusal_page: RefusalPage) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get(LOGIN_PATH)
    async def start(request: Request, next: str | None = None) -> RedirectResponse:
        settings = runtime_of(request).settings
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "scope": "openid",
                "redirect_uri": str(request.url_for("oidc_callback")),
                "state": state,
                "nonce": nonce,
                "ui_locales": request_language(request),
                "acr_values": "http://ftn.ficora.fi/2017/loa2 http://ftn.ficora.fi/2017/loa3",
            }
        )
        response = RedirectResponse(
            f"{settings.oidc_issuer.rstrip('/')}/authorize?{query}", status_code=303
        )
        response.set_cookie(
            LOGIN_COOKIE,
            json.dumps({"state": state, "nonce": nonce, "next": _safe_next(next)}),
            max_age=600,
            httponly=True,
            samesite="lax",
            path=CALLBACK_PATH,
        )
        return response

    @router.get(CALLBACK_PATH, name="oidc_callback")
    async def callback(request: Request, code: str = "", state: str = "") -> Response:
        runtime = runtime_of(request)
        try:
            pending = json.loads(request.cookies.get(LOGIN_COOKIE, "{}"))
        except json.JSONDecodeError:
            pending = {}
        if not code or not state or state != pending.get("state"):
            log.info("sign-in refused: state mismatch")
            return refusal_page(request, 400, "login.expired")
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                exchanged = await client.post(
                    f"{runtime.settings.oidc_issuer.rstrip('/')}/token",
                    data={
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": str(request.url_for("oidc_callback")),
                        "client_id": client_id,
                    },
                )
            exchanged.raise_for_status()
            id_token = str(exchanged.json()["id_token"])
            claims = await runtime.verifier.verified_claims(id_token)
            if claims.get("nonce") != pending.get("nonce"):
                raise Unauthorized("error.unauthorized")
            principal = await runtime.verifier.principal_from(claims, id_token)
        except Forbidden as refused:
            log.info("sign-in refused", reason=refused.code)
            return refusal_page(request, 403, refused.code)
        except (DomainError, httpx.HTTPError, KeyError, ValueError):
            log.info("sign-in failed")
            return refusal_page(request, 401, "login.failed")
        log.info("signed in", role=principal.role)
        response = RedirectResponse(_safe_next(pending.get("next")), status_code=303)
        response.delete_cookie(LOGIN_COOKIE, path=CALLBACK_PATH)
        response.set_cookie(
            SESSION_COOKIE, id_token, max_age=3600, httponly=True, samesite="lax", path="/"
        )
        return response

    @router.post(LOGOUT_PATH)
    async def logout() -> RedirectResponse:
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return router
