"""OpenID Connect token verification and the caller's identity.

Tokens are verified against the issuer's published keys (JWKS): signature, issuer, audience
and expiry. Clients must have signed in with a strong level of assurance (`acr`); the test
levels are accepted only in development mode. Staff carry a role and a tenant.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx
import jwt

from chassis.errors import Forbidden, Unauthorized

StaffRole = Literal["counselor", "manager", "admin"]
Role = Literal["client", "counselor", "manager", "admin"]

STRONG_ACR = frozenset(
    {
        "http://ftn.ficora.fi/2017/loa2",
        "http://ftn.ficora.fi/2017/loa3",
        "http://eidas.europa.eu/LoA/substantial",
        "http://eidas.europa.eu/LoA/high",
    }
)
TEST_ACR = frozenset({"http://ftn.ficora.fi/2017/loatest2", "http://ftn.ficora.fi/2017/loatest3"})


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject, role and tenant.

    For a client, `client_ref` is their pseudonym (see ClientRefs), None while no path has been
    opened for them; staff have none.
    """

    subject: str
    role: Role
    tenant: str
    client_ref: str | None = None
    acr: str | None = None
    name: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role != "client"


class ClientRefs(Protocol):
    """Finds the pseudonymous reference of the client a verified token names.

    References are random and only enrolment's vault finds them from the person (decision
    0025): enrolment looks in its vault, tasks and guidance ask enrolment with the client's
    token (chassis.client_refs), and reporting refuses clients. None: no path has been opened
    for this person in the token's tenant.
    """

    async def client_ref_for(self, claims: dict[str, Any], token: str) -> str | None: ...


class KeySet:
    """The issuer's signing keys, fetched once and again when an unknown key id appears."""

    def __init__(self, jwks_url: str, refresh_after: float = 300.0) -> None:
        self._url = jwks_url
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._refresh_after = refresh_after

    async def key_for(self, kid: str) -> Any:
        stale = time.monotonic() - self._fetched_at > self._refresh_after
        if kid not in self._keys or stale:
            await self._fetch()
        if kid not in self._keys:
            raise Unauthorized("error.unauthorized")
        return self._keys[kid]

    async def _fetch(self) -> None:
        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.get(self._url)
            response.raise_for_status()
        keyset = jwt.PyJWKSet.from_dict(response.json())
        self._keys = {key.key_id: key for key in keyset.keys if key.key_id}
        self._fetched_at = time.monotonic()


class TokenVerifier:
    def __init__(
        self, issuer: str, audience: str, *, accept_test_assurance: bool, client_refs: ClientRefs
    ) -> None:
        self._issuer = issuer
        self._audience = audience
        self._accept_test_assurance = accept_test_assurance
        self._keys = KeySet(f"{issuer.rstrip('/')}/jwks")
        self.client_refs = client_refs

    def acceptable_acr(self) -> frozenset[str]:
        return STRONG_ACR | TEST_ACR if self._accept_test_assurance else STRONG_ACR

    async def verify(self, token: str) -> Principal:
        return await self.principal_from(await self.verified_claims(token), token)

    async def verify_lately_expired(self, token: str, grace_seconds: float) -> Principal:
        """Who held a token that expired at most `grace_seconds` ago (signature still checked).

        Only for rescuing what a client had written when their session ran out; never for
        granting access.
        """
        return await self.principal_from(
            await self.verified_claims(token, leeway=grace_seconds), token
        )

    async def verified_claims(self, token: str, leeway: float = 0.0) -> dict[str, Any]:
        """The token's claims once its signature, issuer, audience and times check out."""
        try:
            header = jwt.get_unverified_header(token)
            key = await self._keys.key_for(str(header.get("kid", "")))
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256", "ES256"],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
                leeway=leeway,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("error.token_expired") from exc
        except (jwt.PyJWTError, httpx.HTTPError) as exc:
            raise Unauthorized("error.unauthorized") from exc
        return claims

    async def principal_from(self, claims: dict[str, Any], token: str) -> Principal:
        """The caller described by verified claims (refuses a client's weak identification)."""
        role = claims.get("role", "client")
        tenant = str(claims.get("tenant", ""))
        if role == "client":
            if claims.get("acr") not in self.acceptable_acr():
                raise Forbidden("error.weak_identification")
            if not tenant:
                raise Unauthorized("error.unauthorized")
            # None is a client without a path here: they get the same "no path" answers as
            # anyone who may not see a path (decision 0025).
            client_ref = await self.client_refs.client_ref_for(claims, token)
            return Principal(
                subject=str(claims["sub"]),
                role="client",
                tenant=tenant,
                client_ref=client_ref,
                acr=str(claims["acr"]),
                name=claims.get("given_name"),
            )
        if role not in ("counselor", "manager", "admin") or not tenant:
            raise Forbidden("error.forbidden")
        return Principal(
            subject=str(claims["sub"]), role=role, tenant=tenant, name=claims.get("name")
        )
