"""What the development issuer signs: ID tokens for the services' sign-in, RFC 9068 access
tokens for their APIs, and the PKCE check of the token endpoint (joserfc)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

# Every service's audience (chassis.settings.audience_of): what a test token is good for when
# it names none.
ALL_AUDIENCES = (
    "digipolku-enrolment",
    "digipolku-tasks",
    "digipolku-guidance",
    "digipolku-reporting",
)
TOKEN_SECONDS = 3600
# Staff of the development issuer sign in with a password and a one-time code.
STAFF_AMR = ["pwd", "otp"]


def pkce_matches(verifier: str, challenge: str) -> bool:
    """RFC 7636 S256: the verifier's SHA-256, base64url without padding, is the challenge."""
    if not 43 <= len(verifier) <= 128:
        return False
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return secrets.compare_digest(computed, challenge)


class Signer:
    """The issuer's one signing key, made at start (a restart invalidates every token)."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.kid = uuid.uuid4().hex[:16]
        self._key = RSAKey.generate_key(
            2048, parameters={"kid": self.kid, "use": "sig", "alg": "RS256"}
        )

    def public_jwk(self) -> dict[str, Any]:
        return dict(self._key.as_dict(private=False))

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        header = {"alg": "RS256", "kid": self.kid, "typ": typ}
        return jwt.encode(header, claims, self._key)

    def own_claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this issuer signed, expired or not (an end-of-session hint);
        None for anything else."""
        try:
            decoded = jwt.decode(token, self._key, algorithms=["RS256"])
        except (JoseError, ValueError):
            return None
        claims = dict(decoded.claims)
        return claims if claims.get("iss") == self.issuer else None

    def access_token(
        self,
        identity: dict[str, Any],
        audience: list[str],
        client_id: str,
        *,
        now: int | None = None,
        lifetime: int = TOKEN_SECONDS,
    ) -> str:
        """An RFC 9068 access token: `typ` at+jwt, for the audiences asked for."""
        issued = int(time.time()) if now is None else now
        claims = {
            **identity,
            "iss": self.issuer,
            "aud": audience,
            "client_id": client_id,
            "scope": "openid",
            "jti": uuid.uuid4().hex,
            "iat": issued,
            "nbf": issued,
            "exp": issued + lifetime,
        }
        return self.sign(claims, typ="at+jwt")

    def id_token(self, identity: dict[str, Any], client_id: str, nonce: str) -> str:
        """The ID token of a sign-in: for the client (its audience), without identity code."""
        issued = int(time.time())
        claims = {key: value for key, value in identity.items() if key != "personal_identity_code"}
        claims.update(
            {
                "iss": self.issuer,
                "aud": client_id,
                "azp": client_id,
                "nonce": nonce,
                "iat": issued,
                "exp": issued + TOKEN_SECONDS,
            }
        )
        return self.sign(claims)
