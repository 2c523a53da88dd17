"""The development OpenID Connect issuer of the local stack (never in production).

It stands in for the county's identity broker: it publishes its signing keys and discovery
document, runs the authorization-code flow with a sign-in page that imitates strong
identification (Suomi.fi through a broker), and for tests and the demo issues tokens
directly. It refuses to start unless DIGIPOLKU_ENVIRONMENT is development.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field
from stdnum.fi import hetu

TEST_SUBSTANTIAL = "http://ftn.ficora.fi/2017/loatest2"
TEST_HIGH = "http://ftn.ficora.fi/2017/loatest3"
WEAK = "http://ftn.ficora.fi/2017/loa1"
LEVELS = {"substantial": TEST_SUBSTANTIAL, "high": TEST_HIGH, "weak": WEAK}
PAGES = Path(__file__).parent / "dev_issuer_pages"
CODE_LIFETIME = 120.0
# The counselor's workspace signs staff in under this client id; its sign-in page differs.
STAFF_CLIENT_ID = "digipolku-staff"


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
    name: str | None = None
    audience: str = "digipolku"
    lifetime_seconds: int = Field(default=3600, ge=-3600, le=86400)


def create_app() -> FastAPI:
    # Production is the default: the issuer that mints any token runs only when asked for.
    if os.environ.get("DIGIPOLKU_ENVIRONMENT", "production") != "development":
        raise SystemExit("the development issuer runs only in development mode")
    issuer = os.environ.get("DIGIPOLKU_OIDC_ISSUER", "http://127.0.0.1:8000").rstrip("/")
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = uuid.uuid4().hex[:16]
    public_jwk: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(
        private_key.public_key(), as_dict=True
    )
    public_jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})

    app = FastAPI(title="Digipolku development issuer", version="0.1.0")
    tenant = os.environ.get("DIGIPOLKU_DEMO_TENANT", "kanta-hame")
    pending: dict[str, tuple[float, dict[str, Any]]] = {}
    templates = Environment(loader=FileSystemLoader(PAGES), autoescape=select_autoescape())
    texts = {lang: json.loads((PAGES / f"{lang}.json").read_text("utf-8")) for lang in ("fi", "sv")}

    def sign(claims: dict[str, Any]) -> str:
        return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid})

    def signin_page(
        lang: str, hidden: dict[str, str], error_key: str | None = None
    ) -> HTMLResponse:
        # Staff sign in to the counselor's workspace; everyone else as a client.
        staff = hidden.get("client_id") == STAFF_CLIENT_ID
        lang = lang if lang in texts else "fi"

        def t(key: str) -> str:
            return str(texts[lang].get(key, key))

        html = templates.get_template("staff_signin.html" if staff else "signin.html").render(
            lang=lang,
            t=t,
            hidden=hidden,
            accounts=STAFF_ACCOUNTS,
            error=t(error_key) if error_key else None,
        )
        return HTMLResponse(html, status_code=400 if error_key else 200)

    def redirect_with_code(
        claims: dict[str, Any], redirect_uri: str, state: str
    ) -> RedirectResponse:
        code = secrets.token_urlsafe(24)
        pending[code] = (time.monotonic(), {**claims, "redirect_uri": redirect_uri})
        return RedirectResponse(
            f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", status_code=303
        )

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/jwks",
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "acr_values_supported": [TEST_SUBSTANTIAL, TEST_HIGH],
        }

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return {"keys": [public_jwk]}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/dev/token")
    async def token(request: TokenRequest) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": request.audience,
            "sub": request.subject,
            "iat": now,
            "exp": now + request.lifetime_seconds,
            "role": request.role,
            "tenant": request.tenant,
        }
        if request.role == "client":
            claims["acr"] = request.acr or TEST_SUBSTANTIAL
            if request.personal_identity_code:
                claims["personal_identity_code"] = request.personal_identity_code
            if request.name:
                claims["given_name"] = request.name
        elif request.name:
            claims["name"] = request.name
        return {
            "access_token": sign(claims),
            "token_type": "Bearer",
            "expires_in": request.lifetime_seconds,
        }

    @app.get("/authorize", response_class=HTMLResponse)
    async def authorize(
        redirect_uri: str,
        state: str,
        nonce: str,
        client_id: str = "digipolku",
        response_type: str = "code",
        ui_locales: str = "fi",
    ) -> HTMLResponse:
        hidden = {
            "redirect_uri": redirect_uri,
            "state": state,
            "nonce": nonce,
            "client_id": client_id,
            "ui_locales": ui_locales,
        }
        if response_type != "code" or not redirect_uri.startswith("http://127.0.0.1:"):
            return signin_page(ui_locales, hidden, "issuer.invalid_request")
        return signin_page(ui_locales, hidden)

    @app.post("/authorize", response_model=None)
    async def sign_in(
        identity_code: Annotated[str, Form()],
        level: Annotated[str, Form()],
        redirect_uri: Annotated[str, Form()],
        state: Annotated[str, Form()],
        nonce: Annotated[str, Form()],
        client_id: Annotated[str, Form()] = "digipolku",
        ui_locales: Annotated[str, Form()] = "fi",
    ) -> HTMLResponse | RedirectResponse:
        hidden = {
            "redirect_uri": redirect_uri,
            "state": state,
            "nonce": nonce,
            "client_id": client_id,
            "ui_locales": ui_locales,
        }
        if not redirect_uri.startswith("http://127.0.0.1:") or level not in LEVELS:
            return signin_page(ui_locales, hidden, "issuer.invalid_request")
        if not hetu.is_valid(identity_code.strip()):
            return signin_page(ui_locales, hidden, "issuer.invalid_code")
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": "digipolku",
            "azp": client_id,
            "iat": now,
            "exp": now + 3600,
            # A pairwise pseudonymous subject, as brokers give; never the identity code.
            "sub": "pw-" + uuid.uuid5(uuid.NAMESPACE_OID, identity_code.upper()).hex[:20],
            "role": "client",
            "tenant": tenant,
            "acr": LEVELS[level],
            "nonce": nonce,
            "personal_identity_code": hetu.compact(identity_code.strip()),
        }
        return redirect_with_code(claims, redirect_uri, state)

    @app.post("/authorize/staff", response_model=None)
    async def staff_sign_in(
        account: Annotated[str, Form()],
        redirect_uri: Annotated[str, Form()],
        state: Annotated[str, Form()],
        nonce: Annotated[str, Form()],
        client_id: Annotated[str, Form()] = STAFF_CLIENT_ID,
        ui_locales: Annotated[str, Form()] = "fi",
    ) -> HTMLResponse | RedirectResponse:
        hidden = {
            "redirect_uri": redirect_uri,
            "state": state,
            "nonce": nonce,
            "client_id": client_id,
            "ui_locales": ui_locales,
        }
        chosen = STAFF_ACCOUNTS.get(account)
        if not redirect_uri.startswith("http://127.0.0.1:") or chosen is None:
            return signin_page(ui_locales, hidden, "issuer.invalid_request")
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": "digipolku",
            "azp": client_id,
            "iat": now,
            "exp": now + 3600,
            "sub": account,
            "role": chosen.role,
            "tenant": tenant,
            "name": chosen.name,
            "nonce": nonce,
        }
        return redirect_with_code(claims, redirect_uri, state)

    @app.post("/token")
    async def exchange(request: Request) -> dict[str, Any]:
        form = await request.form()
        entry = pending.pop(str(form.get("code", "")), None)
        if entry is None or time.monotonic() - entry[0] > CODE_LIFETIME:
            raise HTTPException(400, "invalid_grant")
        claims = dict(entry[1])
        if form.get("redirect_uri") != claims.pop("redirect_uri"):
            raise HTTPException(400, "invalid_grant")
        token = sign(claims)
        return {
            "id_token": token,
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 3600,
        }

    return app
