"""The development OpenID Connect issuer of the local stack (never in production).

It stands in for the county's identity broker: it publishes its signing keys and discovery
document and, for tests and the demo, issues tokens for demo clients and staff. It refuses to
start unless DIGIPOLKU_ENVIRONMENT is development.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from pydantic import BaseModel, Field

TEST_SUBSTANTIAL = "http://ftn.ficora.fi/2017/loatest2"


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
    if os.environ.get("DIGIPOLKU_ENVIRONMENT", "development") != "development":
        raise SystemExit("the development issuer runs only in development mode")
    issuer = os.environ.get("DIGIPOLKU_OIDC_ISSUER", "http://127.0.0.1:8000").rstrip("/")
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = uuid.uuid4().hex[:16]
    public_jwk: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(
        private_key.public_key(), as_dict=True
    )
    public_jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})

    app = FastAPI(title="Digipolku development issuer", version="0.1.0")

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/jwks",
            "token_endpoint": f"{issuer}/dev/token",
            "id_token_signing_alg_values_supported": ["RS256"],
            "acr_values_supported": [TEST_SUBSTANTIAL, "http://ftn.ficora.fi/2017/loatest3"],
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
        encoded = jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid})
        return {
            "access_token": encoded,
            "token_type": "Bearer",
            "expires_in": request.lifetime_seconds,
        }

    return app
