"""The development OpenID Connect issuer of the local stack (never in production).

It stands in for the county's identity broker: it publishes its discovery document and
signing keys, runs the authorization-code flow with PKCE (S256 required) and a sign-in page
that imitates strong identification (Suomi.fi through a broker), gives each sign-in an ID
token for the service and an access token (RFC 9068) for the audiences the service asked for
(RFC 8707 `resource`), keeps its own session of each sign-in and ends it at the
end-of-session endpoint. For tests and the demo it also issues access tokens directly
(`POST /dev/token`). It refuses to start unless DIGIPOLKU_ENVIRONMENT is development.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field
from stdnum.fi import hetu

from deploy.dev_issuer_tokens import ALL_AUDIENCES, STAFF_AMR, TOKEN_SECONDS, Signer, pkce_matches

TEST_SUBSTANTIAL = "http://ftn.ficora.fi/2017/loatest2"
TEST_HIGH = "http://ftn.ficora.fi/2017/loatest3"
WEAK = "http://ftn.ficora.fi/2017/loa1"
LEVELS = {"substantial": TEST_SUBSTANTIAL, "high": TEST_HIGH, "weak": WEAK}
PAGES = Path(__file__).parent / "dev_issuer_pages"
CODE_LIFETIME = 120.0
REQUEST_LIFETIME = 900.0
# The counselor's workspace signs staff in under this client id; its sign-in page differs.
STAFF_CLIENT_ID = "digipolku-staff"
# The issuer's own session of a sign-in (what its end-of-session endpoint ends).
ISSUER_SESSION_COOKIE = "digipolku_issuer_session"


class StaffAccount(BaseModel):
    role: Literal["counselor", "manager", "admin"]
    name: str


# Demo staff of the demo tenant. `ohjaaja-demo` is the counselor of `make run`'s demo paths.
STAFF_ACCOUNTS: dict[str, StaffAccount] = {
    "ohjaaja-demo": StaffAccount(role="counselor", name="Outi Ohjaaja"),
    "ohjaaja-2": StaffAccount(role="counselor", name="Pekka Paananen"),
    "esihenkilo-demo": StaffAccount(role="manager", name="Maija Mäkelä"),
    "paakayttaja-demo": StaffAccount(role="admin", name="Antti Aalto"),
}


class TokenRequest(BaseModel):
    subject: str = Field(min_length=1)
    role: Literal["client", "counselor", "manager", "admin"]
    tenant: str = Field(min_length=1)
    personal_identity_code: str | None = None
    acr: str | None = None
    # Staff get a password and a one-time code unless a test says otherwise.
    amr: list[str] | None = None
    name: str | None = None
    # The services the token is for (their audiences); all four unless a test narrows it.
    audience: str | list[str] = Field(default_factory=lambda: list(ALL_AUDIENCES))
    lifetime_seconds: int = Field(default=TOKEN_SECONDS, ge=-3600, le=86400)
    # An issuer whose clock runs ahead (or behind) by this much: iat, nbf and exp move with it.
    clock_skew_seconds: int = Field(default=0, ge=-3600, le=3600)


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    code_challenge: str
    resources: tuple[str, ...]
    ui_locales: str


@dataclass(frozen=True)
class Grant:
    request: AuthorizationRequest
    identity: dict[str, Any]


def _loopback(uri: str) -> bool:
    return uri.startswith("http://127.0.0.1:")


def create_app() -> FastAPI:
    # Production is the default: the issuer that mints any token runs only when asked for.
    if os.environ.get("DIGIPOLKU_ENVIRONMENT", "production") != "development":
        raise SystemExit("the development issuer runs only in development mode")
    issuer = os.environ.get("DIGIPOLKU_OIDC_ISSUER", "http://127.0.0.1:8000").rstrip("/")
    signer = Signer(issuer)
    app = FastAPI(title="Digipolku development issuer", version="0.1.0")
    tenant = os.environ.get("DIGIPOLKU_DEMO_TENANT", "kanta-hame")
    requests: dict[str, tuple[float, AuthorizationRequest]] = {}
    codes: dict[str, tuple[float, Grant]] = {}
    sessions: dict[str, dict[str, str]] = {}
    counters = {"jwks_requests": 0}
    templates = Environment(loader=FileSystemLoader(PAGES), autoescape=select_autoescape())
    texts = {lang: json.loads((PAGES / f"{lang}.json").read_text("utf-8")) for lang in ("fi", "sv")}

    def page(
        lang: str, template: str, hidden: dict[str, str], error_key: str | None = None
    ) -> HTMLResponse:
        lang = lang if lang in texts else "fi"

        def t(key: str) -> str:
            return str(texts[lang].get(key, key))

        html = templates.get_template(template).render(
            lang=lang,
            t=t,
            hidden=hidden,
            accounts=STAFF_ACCOUNTS,
            error=t(error_key) if error_key else None,
        )
        return HTMLResponse(html, status_code=400 if error_key else 200)

    def invalid_request(lang: str) -> HTMLResponse:
        return page(lang, "signin.html", {}, "issuer.invalid_request")

    def pending_request(request_id: str) -> AuthorizationRequest | None:
        entry = requests.get(request_id)
        if entry is None or time.monotonic() - entry[0] > REQUEST_LIFETIME:
            return None
        return entry[1]

    def redirect_with_code(request_id: str, identity: dict[str, Any]) -> RedirectResponse:
        asked = requests.pop(request_id)[1]
        sid = uuid.uuid4().hex
        sessions[sid] = {"sub": str(identity["sub"]), "client_id": asked.client_id}
        code = secrets.token_urlsafe(24)
        codes[code] = (time.monotonic(), Grant(asked, {**identity, "sid": sid}))
        response = RedirectResponse(
            f"{asked.redirect_uri}?{urlencode({'code': code, 'state': asked.state})}",
            status_code=303,
        )
        response.set_cookie(ISSUER_SESSION_COOKIE, sid, httponly=True, samesite="lax")
        return response

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/jwks",
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "end_session_endpoint": f"{issuer}/logout",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["openid"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "acr_values_supported": [TEST_SUBSTANTIAL, TEST_HIGH],
            "ui_locales_supported": ["fi", "sv"],
        }

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        counters["jwks_requests"] += 1
        return {"keys": [signer.public_jwk()]}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/dev/stats")
    async def stats() -> dict[str, int]:
        """How often the keys were fetched (the services' JWKS caches are tested by it)."""
        return dict(counters)

    @app.get("/dev/sessions/{sid}")
    async def issuer_session(sid: str) -> Response:
        """Whether the issuer's own session of a sign-in is still on (tests of sign-out)."""
        if sid not in sessions:
            return JSONResponse({"active": False}, status_code=404)
        return JSONResponse({"active": True, **sessions[sid]})

    @app.post("/dev/token")
    async def token(request: TokenRequest) -> dict[str, Any]:
        identity: dict[str, Any] = {
            "sub": request.subject,
            "role": request.role,
            "tenant": request.tenant,
        }
        if request.role == "client":
            identity["acr"] = request.acr or TEST_SUBSTANTIAL
            if request.personal_identity_code:
                identity["personal_identity_code"] = request.personal_identity_code
            if request.name:
                identity["given_name"] = request.name
        else:
            if request.name:
                identity["name"] = request.name
            if request.acr:
                identity["acr"] = request.acr
        amr = (
            request.amr
            if request.amr is not None
            else (None if request.role == "client" else STAFF_AMR)
        )
        if amr is not None:
            identity["amr"] = amr
        audience = [request.audience] if isinstance(request.audience, str) else request.audience
        return {
            "access_token": signer.access_token(
                identity,
                audience,
                "digipolku-tests",
                now=int(time.time()) + request.clock_skew_seconds,
                lifetime=request.lifetime_seconds,
            ),
            "token_type": "Bearer",
            "expires_in": request.lifetime_seconds,
        }

    @app.get("/authorize", response_class=HTMLResponse)
    async def authorize(
        redirect_uri: str = "",
        state: str = "",
        nonce: str = "",
        client_id: str = "digipolku",
        response_type: str = "",
        code_challenge: str = "",
        code_challenge_method: str = "",
        resource: Annotated[list[str] | None, Query()] = None,
        ui_locales: str = "fi",
    ) -> HTMLResponse:
        valid = (
            response_type == "code"
            and _loopback(redirect_uri)
            and state
            and nonce
            # PKCE is required, and only S256: "plain" would send the verifier itself.
            and code_challenge_method == "S256"
            and 43 <= len(code_challenge) <= 128
        )
        if not valid:
            return invalid_request(ui_locales)
        request_id = secrets.token_urlsafe(24)
        requests[request_id] = (
            time.monotonic(),
            AuthorizationRequest(
                client_id,
                redirect_uri,
                state,
                nonce,
                code_challenge,
                tuple(resource or ()),
                ui_locales,
            ),
        )
        template = "staff_signin.html" if client_id == STAFF_CLIENT_ID else "signin.html"
        return page(ui_locales, template, {"request_id": request_id, "ui_locales": ui_locales})

    @app.post("/authorize", response_model=None)
    async def sign_in(
        identity_code: Annotated[str, Form()],
        level: Annotated[str, Form()],
        request_id: Annotated[str, Form()],
        ui_locales: Annotated[str, Form()] = "fi",
    ) -> HTMLResponse | RedirectResponse:
        asked = pending_request(request_id)
        if asked is None or level not in LEVELS:
            return invalid_request(ui_locales)
        if not hetu.is_valid(identity_code.strip()):
            hidden = {"request_id": request_id, "ui_locales": ui_locales}
            return page(ui_locales, "signin.html", hidden, "issuer.invalid_code")
        identity = {
            # A pairwise pseudonymous subject, as brokers give; never the identity code.
            "sub": "pw-" + uuid.uuid5(uuid.NAMESPACE_OID, identity_code.upper()).hex[:20],
            "role": "client",
            "tenant": tenant,
            "acr": LEVELS[level],
            "amr": ["bank" if level == "substantial" else "mobile"],
            "auth_time": int(time.time()),
            "personal_identity_code": hetu.compact(identity_code.strip()),
        }
        return redirect_with_code(request_id, identity)

    @app.post("/authorize/staff", response_model=None)
    async def staff_sign_in(
        account: Annotated[str, Form()],
        request_id: Annotated[str, Form()],
        ui_locales: Annotated[str, Form()] = "fi",
    ) -> HTMLResponse | RedirectResponse:
        asked, chosen = pending_request(request_id), STAFF_ACCOUNTS.get(account)
        if asked is None or chosen is None:
            return invalid_request(ui_locales)
        identity = {
            "sub": account,
            "role": chosen.role,
            "tenant": tenant,
            "name": chosen.name,
            "amr": STAFF_AMR,
            "auth_time": int(time.time()),
        }
        return redirect_with_code(request_id, identity)

    @app.post("/token")
    async def exchange(request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        entry = codes.pop(str(form.get("code", "")), None)  # a code is good once
        if entry is None or time.monotonic() - entry[0] > CODE_LIFETIME:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        grant = entry[1]
        asked = grant.request
        if form.get("redirect_uri") != asked.redirect_uri or form.get("client_id") != (
            asked.client_id
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if not pkce_matches(str(form.get("code_verifier", "")), asked.code_challenge):
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "PKCE verification failed"},
                status_code=400,
            )
        audience = list(asked.resources) or [asked.client_id]
        return JSONResponse(
            {
                "id_token": signer.id_token(grant.identity, asked.client_id, asked.nonce),
                "access_token": signer.access_token(grant.identity, audience, asked.client_id),
                "token_type": "Bearer",
                "expires_in": TOKEN_SECONDS,
                "scope": "openid",
            },
            headers={"Cache-Control": "no-store"},
        )

    @app.get("/logout", response_model=None)
    async def end_session(
        request: Request,
        post_logout_redirect_uri: str = "",
        id_token_hint: str = "",
        client_id: str = "",
        state: str = "",
        ui_locales: str = "fi",
    ) -> HTMLResponse | RedirectResponse:
        """RP-initiated logout: the hint says whose session; the issuer's own one ends."""
        hinted = signer.own_claims(id_token_hint) if id_token_hint else None
        if id_token_hint and hinted is None:
            return invalid_request(ui_locales)
        if hinted is not None and client_id and hinted.get("aud") != client_id:
            return invalid_request(ui_locales)
        if post_logout_redirect_uri and not _loopback(post_logout_redirect_uri):
            return invalid_request(ui_locales)
        for sid in (str((hinted or {}).get("sid", "")), request.cookies.get(ISSUER_SESSION_COOKIE)):
            if sid:
                sessions.pop(sid, None)
        target = post_logout_redirect_uri or f"{issuer}/healthz"
        if state:
            target += ("&" if "?" in target else "?") + urlencode({"state": state})
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(ISSUER_SESSION_COOKIE)
        return response

    return app
