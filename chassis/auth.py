"""OpenID Connect token verification and the caller's identity (joserfc, decision 0022).

Access tokens are verified against the issuer's published keys (JWKS, found by discovery):
type (`at+jwt`), signature, issuer, this service's own audience and the times, with a minute
of leeway. Clients must have signed in with a strong level of assurance (`acr`); the test
levels are accepted only in development mode. Staff carry a role and a tenant, and in
production a second factor (`amr`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet as JoseKeySet
from joserfc.jws import extract_compact

from chassis.errors import Forbidden, Unauthorized
from chassis.logs import get_logger
from chassis.oidc_discovery import DiscoveryError, HttpClients, OidcProvider, default_http
from chassis.settings import ServiceSettings

log = get_logger(__name__)

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
    """The issuer's signing keys (JWKS), kept and refetched sparingly.

    An unknown key id makes at most one refetch per `refetch_interval` seconds: a stream of
    tokens with made-up key ids must not turn into a stream of requests to the issuer. The keys
    are also refreshed once they are `max_age` old (the issuer rotates them); when that
    refresh fails, the keys we have still hold.
    """

    def __init__(
        self,
        provider: OidcProvider,
        *,
        refetch_interval: float = 30.0,
        max_age: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._provider = provider
        self._refetch_interval = refetch_interval
        self._max_age = max_age
        self._clock = clock
        self._keys: JoseKeySet | None = None
        self._kids: frozenset[str] = frozenset()
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def keys_for(self, kid: str) -> JoseKeySet:
        """The key set, holding `kid` (Unauthorized when the issuer has no such key)."""
        if self._needs_fetch(kid):
            async with self._lock:  # concurrent requests with the same new kid fetch once
                if self._needs_fetch(kid):
                    await self._fetch(keep_old=kid in self._kids)
        if self._keys is None or kid not in self._kids:
            raise Unauthorized("error.unauthorized")
        return self._keys

    def _needs_fetch(self, kid: str) -> bool:
        if self._fetched_at is None:
            return True
        age = self._clock() - self._fetched_at
        if kid in self._kids:
            return age >= self._max_age
        return age >= self._refetch_interval

    async def _fetch(self, keep_old: bool) -> None:
        try:
            jwks_uri = await self._provider.endpoint("jwks_uri")
            async with self._provider.http() as client:
                response = await client.get(jwks_uri)
                response.raise_for_status()
                keys = JoseKeySet.import_key_set(response.json())
        except (DiscoveryError, httpx.HTTPError, JoseError, ValueError, TypeError) as exc:
            log.warning("the issuer's keys could not be fetched", error=type(exc).__name__)
            if keep_old:
                return
            raise Unauthorized("error.unauthorized") from exc
        else:
            self._keys = keys
            self._kids = frozenset(str(key.kid) for key in keys.keys if key.kid)
        finally:
            # Counted as an attempt even when it fails, so a failing issuer is not hammered
            # either; marked only once done, so requests that come while the keys are on their
            # way wait for them at the lock instead of being refused for want of them.
            self._fetched_at = self._clock()


# RFC 9068: an access token says what it is in its header, so an ID token (whose audience is
# the client) can never pass as one.
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
SIGNING_ALGORITHMS = ("RS256", "ES256")
# Clocks of the issuer and of our hosts differ a little; more than a minute is a fault.
LEEWAY_SECONDS = 60


def _strong_staff_sign_in(claims: dict[str, Any], mfa_amr: Collection[str]) -> bool:
    """Staff signed in with more than a password: an `amr` value that means a second factor,
    or a level of assurance (substantial or high) that requires one."""
    amr = claims.get("amr")
    methods = {str(value) for value in amr} if isinstance(amr, list) else set()
    return bool(methods & set(mfa_amr)) or claims.get("acr") in STRONG_ACR


class TokenVerifier:
    """Checks the issuer's tokens: access tokens for this service's APIs, ID tokens at sign-in.

    `audience` is this service's own (`digipolku-<service>`): an access token is accepted only
    when its `aud` names it. `staff_mfa_amr`, when given (production), refuses staff who signed
    in without a second factor.
    """

    def __init__(
        self,
        issuer: str,
        audience: str,
        *,
        accept_test_assurance: bool,
        client_refs: ClientRefs,
        staff_mfa_amr: Collection[str] | None = None,
        http: HttpClients = default_http,
        leeway: int = LEEWAY_SECONDS,
        jwks_refetch_interval: float = 30.0,
    ) -> None:
        self._issuer = issuer.rstrip("/")
        self.audience = audience
        self._accept_test_assurance = accept_test_assurance
        self.staff_mfa_amr = tuple(staff_mfa_amr) if staff_mfa_amr is not None else None
        self._leeway = leeway
        self.provider = OidcProvider(self._issuer, http=http)
        self._keys = KeySet(self.provider, refetch_interval=jwks_refetch_interval)
        self.client_refs = client_refs

    @classmethod
    def from_settings(
        cls, settings: ServiceSettings, client_refs: ClientRefs, http: HttpClients = default_http
    ) -> TokenVerifier:
        return cls(
            settings.oidc_issuer,
            settings.audience,
            accept_test_assurance=settings.accepts_test_assurance,
            client_refs=client_refs,
            # Production requires staff MFA; the development issuer gives it anyway.
            staff_mfa_amr=None if settings.development else settings.staff_mfa_amr,
            http=http,
        )

    def acceptable_acr(self) -> frozenset[str]:
        return STRONG_ACR | TEST_ACR if self._accept_test_assurance else STRONG_ACR

    async def verify(self, token: str) -> Principal:
        """The caller an access token for this service names (Unauthorized or Forbidden)."""
        return await self.principal_from(await self.verified_claims(token), token)

    async def verified_claims(self, token: str) -> dict[str, Any]:
        """An access token's claims once its type, signature, issuer, audience and times check
        out."""
        header, claims = await self._decoded(token)
        if str(header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
            raise Unauthorized("error.unauthorized")
        self._validate(claims, self.audience)
        return claims

    async def verify_id_token(self, token: str, client_id: str, nonce: str) -> dict[str, Any]:
        """An ID token's claims, for the sign-in that sent `nonce` as `client_id`."""
        header, claims = await self._decoded(token)
        if str(header.get("typ", "")).lower() in ACCESS_TOKEN_TYPES:
            raise Unauthorized("error.unauthorized")
        self._validate(claims, client_id, nonce)
        return claims

    async def _decoded(self, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            kid = str(extract_compact(token.encode()).headers().get("kid", ""))
            keys = await self._keys.keys_for(kid)
            decoded = jwt.decode(token, keys, algorithms=SIGNING_ALGORITHMS)
        except (JoseError, ValueError, TypeError) as exc:
            raise Unauthorized("error.unauthorized") from exc
        return dict(decoded.header), dict(decoded.claims)

    def _validate(self, claims: dict[str, Any], audience: str, nonce: str | None = None) -> None:
        registry = jwt.JWTClaimsRegistry(
            leeway=self._leeway,
            iss={"essential": True, "value": self._issuer},
            aud={"essential": True, "value": audience},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        )
        if nonce is not None:
            registry.options["nonce"] = {"essential": True, "value": nonce}
        try:
            registry.validate(claims)
        except ExpiredTokenError as exc:
            raise Unauthorized("error.token_expired") from exc
        except JoseError as exc:
            raise Unauthorized("error.unauthorized") from exc

    async def principal_from(self, claims: dict[str, Any], token: str) -> Principal:
        """The caller described by verified claims (refuses a client's weak identification,
        and in production staff who signed in without a second factor)."""
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
        if self.staff_mfa_amr is not None and not _strong_staff_sign_in(claims, self.staff_mfa_amr):
            raise Forbidden("error.staff_mfa_required")
        return Principal(
            subject=str(claims["sub"]), role=role, tenant=tenant, name=claims.get("name")
        )
