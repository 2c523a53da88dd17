"""Signing in to a service's pages with OpenID Connect (Authlib, decision 0022).

/kirjaudu sends the browser to the issuer's authorization endpoint (from discovery) with a
fresh `state`, `nonce` and PKCE S256 challenge, and asks for access to this service and the
services its pages read from (RFC 8707 `resource`). The three secrets wait in a short-lived
`__Host-` cookie. /auth/callback checks the state, exchanges the code with the PKCE verifier,
checks the ID token (signature, issuer, audience = our client id, nonce) and the access token
(type, this service's audience, the same subject), and opens a server-side session
(chassis.sessions); the cookie holds only its random id. A client whose identification was
not strong, or staff without a second factor in production, get a refusal page instead.
/kirjaudu-ulos ends the session here and sends the browser to the issuer's end-of-session
endpoint to end it there too.
"""

from __future__ import annotations

import base64
import json
import secrets
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]
from authlib.integrations.base_client import OAuthError  # type: ignore[import-untyped]
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from chassis.errors import DomainError, Forbidden, Unauthorized
from chassis.http import request_language
from chassis.http_auth import SESSION_COOKIE, page_router, sessions_of
from chassis.logs import get_logger
from chassis.oidc_discovery import DiscoveryError
from chassis.service import runtime_of
from chassis.settings import audience_of

with warnings.catch_warnings():
    # Authlib 1.9 prefers httpx2 and says so on import; the pinned httpx works the same, and
    # the notice would otherwise open every service's log.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import (  # type: ignore[import-untyped]
        AsyncOAuth2Client,
    )

log = get_logger(__name__)

# The sign-in in progress: state, nonce, PKCE verifier and where to go back to. Path=/ as the
# __Host- prefix requires; it lives ten minutes at most and is deleted at the callback.
LOGIN_COOKIE = "__Host-digipolku_login"
LOGIN_PATH = "/kirjaudu"
CALLBACK_PATH = "/auth/callback"
LOGOUT_PATH = "/kirjaudu-ulos"
LOGIN_SECONDS = 600
STRONG_ACR_VALUES = "http://ftn.ficora.fi/2017/loa2 http://ftn.ficora.fi/2017/loa3"

# Renders a page that tells a person why signing in did not work (status, message key).
RefusalPage = Callable[[Request, int, str], Response]


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _oauth_client(client_id: str, request: Request) -> AsyncOAuth2Client:
    # A public client: PKCE (S256) binds the code to this browser's sign-in.
    return AsyncOAuth2Client(
        client_id=client_id,
        scope="openid",
        redirect_uri=str(request.url_for("oidc_callback")),
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
        timeout=10.0,
    )


def encode_pending(pending: dict[str, str]) -> str:
    # base64url: a cookie value without quotes, commas or spaces to escape.
    return base64.urlsafe_b64encode(json.dumps(pending).encode()).decode()


def decode_pending(value: str) -> dict[str, str]:
    """The sign-in in progress from its cookie ({} for anything else)."""
    try:
        pending = json.loads(base64.urlsafe_b64decode(value.encode()))
    except (ValueError, TypeError):
        return {}
    if not isinstance(pending, dict):
        return {}
    return {str(k): str(v) for k, v in pending.items()}


def _set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax"
    )


def _delete_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", secure=True, httponly=True, samesite="lax")


def login_router(
    client_id: str, refusal_page: RefusalPage, *, reads_from: Sequence[str] = ()
) -> APIRouter:
    """Sign-in and sign-out for one service's pages.

    `reads_from`: the services the pages read with the signed-in person's access token; the
    token is asked for their audiences besides this service's own.
    """
    router = page_router()

    @router.get(LOGIN_PATH)
    async def start(request: Request, next: str | None = None) -> Response:
        runtime = runtime_of(request)
        resources = list(
            dict.fromkeys([runtime.settings.audience, *(audience_of(n) for n in reads_from)])
        )
        try:
            authorize = await runtime.verifier.provider.endpoint("authorization_endpoint")
        except DiscoveryError:
            log.warning("sign-in unavailable: the issuer's discovery failed")
            return refusal_page(request, 503, "login.failed")
        nonce, verifier = generate_token(32), generate_token(64)
        async with _oauth_client(client_id, request) as oauth:
            url, state = oauth.create_authorization_url(
                authorize,
                state=generate_token(32),
                code_verifier=verifier,
                nonce=nonce,
                resource=resources,
                ui_locales=request_language(request),
                acr_values=STRONG_ACR_VALUES,
            )
        response = RedirectResponse(url, status_code=303)
        pending = {"state": state, "nonce": nonce, "verifier": verifier, "next": _safe_next(next)}
        _set_cookie(response, LOGIN_COOKIE, encode_pending(pending), max_age=LOGIN_SECONDS)
        return response

    @router.get(CALLBACK_PATH, name="oidc_callback")
    async def callback(request: Request, code: str = "", state: str = "") -> Response:
        runtime = runtime_of(request)
        pending = decode_pending(request.cookies.get(LOGIN_COOKIE, ""))
        expected = pending.get("state", "")
        if not code or not expected or not secrets.compare_digest(state, expected):
            log.info("sign-in refused: state mismatch")
            return refusal_page(request, 400, "login.expired")
        verifier = runtime.verifier
        try:
            token_endpoint = await verifier.provider.endpoint("token_endpoint")
            async with _oauth_client(client_id, request) as oauth:
                tokens: dict[str, Any] = await oauth.fetch_token(
                    token_endpoint, code=code, code_verifier=pending.get("verifier", "")
                )
            id_token, access_token = str(tokens["id_token"]), str(tokens["access_token"])
            identified = await verifier.verify_id_token(id_token, client_id, pending["nonce"])
            access = await verifier.verified_claims(access_token)
            if access["sub"] != identified["sub"]:
                raise Unauthorized("error.unauthorized")
            principal = await verifier.principal_from(access, access_token)
        except Forbidden as refused:
            log.info("sign-in refused", reason=refused.code)
            return refusal_page(request, 403, refused.code)
        except (DomainError, DiscoveryError, OAuthError, httpx.HTTPError, KeyError, ValueError):
            log.info("sign-in failed")
            return refusal_page(request, 401, "login.failed")
        sessions = sessions_of(request)
        # A new sign-in never continues an old session (nor one planted before it).
        await sessions.end(request.cookies.get(SESSION_COOKIE, ""))
        session_id = await sessions.open(
            principal,
            access_token=access_token,
            id_token=id_token,
            token_expires_at=datetime.fromtimestamp(int(access["exp"]), UTC),
        )
        log.info("signed in", role=principal.role)
        response = RedirectResponse(_safe_next(pending.get("next")), status_code=303)
        _delete_cookie(response, LOGIN_COOKIE)
        _set_cookie(response, SESSION_COOKIE, session_id)  # no Max-Age: gone with the browser
        return response

    @router.post(LOGOUT_PATH)
    async def logout(request: Request) -> Response:
        ended = await sessions_of(request).end(request.cookies.get(SESSION_COOKIE, ""))
        target = str(request.base_url)
        try:
            end_session = await runtime_of(request).verifier.provider.endpoint(
                "end_session_endpoint"
            )
        except DiscoveryError:
            end_session = None
        if end_session is not None:
            query = {"client_id": client_id, "post_logout_redirect_uri": target}
            if ended is not None and ended.id_token:
                query["id_token_hint"] = ended.id_token
            target = f"{end_session}?{urlencode(query)}"
        log.info("signed out", ended=ended is not None)
        response = RedirectResponse(target, status_code=303)
        _delete_cookie(response, SESSION_COOKIE)
        return response

    return router
