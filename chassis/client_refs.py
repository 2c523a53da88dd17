"""Where a service that is not enrolment learns a signed-in client's reference (decision 0025).

A client's `client_ref` is random, and only enrolment's vault can find it from the person
(only enrolment holds the pseudonym key). Tasks and guidance ask enrolment with the client's
own token, forwarded: `GET /me/reference` answers the reference, or 404 when no path has been
opened for the person in this tenant (or they have been erased). A service that serves only
staff (reporting) has no way to find a reference at all: a client's token is refused there.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from chassis.errors import DomainError, Forbidden, Unauthorized

if TYPE_CHECKING:  # chassis.service wires these in, so it cannot be imported at run time here
    from chassis.service import ServiceRuntime

# How long an answer is kept at most, even for a token that lives longer: a path opened or an
# erasure made meanwhile is seen by then at the latest.
MAX_CACHE_SECONDS = 300.0
# Enough for every client signed in at once on a busy day; the oldest go first.
MAX_CACHE_ENTRIES = 10_000


class PeerUnavailable(DomainError):
    """Enrolment did not answer: the caller should try again in a moment (503)."""

    status = 503

    def __init__(self) -> None:
        super().__init__("error.peer_unavailable")


class StaffOnly:
    """No client references here: a client's token is refused (reporting serves staff only)."""

    async def client_ref_for(self, claims: dict[str, Any], token: str) -> str | None:
        raise Forbidden("error.forbidden")


class EnrolmentClientRefs:
    """Asks enrolment for the reference of the client whose token this is, and remembers the
    answer for at most the token's remaining lifetime (bounded by MAX_CACHE_SECONDS).

    The cache is keyed by the token's SHA-256, so it holds no token. A "no path" answer is not
    kept: a counselor may open the path a moment later, and the client should see it at once.
    """

    def __init__(
        self,
        enrolment_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_entries: int = MAX_CACHE_ENTRIES,
        max_seconds: float = MAX_CACHE_SECONDS,
        wall_clock: Callable[[], float] = time.time,
        timeout: float = 5.0,
    ) -> None:
        self._url = f"{enrolment_url.rstrip('/')}/me/reference"
        self._transport = transport
        self._max_entries = max_entries
        self._max_seconds = max_seconds
        self._now = wall_clock
        self._timeout = timeout
        self._cache: OrderedDict[str, tuple[float, str]] = OrderedDict()
        # One client for the service's life: making one costs milliseconds (its TLS context),
        # which every request of a client without a path would pay again.
        self._http: httpx.AsyncClient | None = None
        self.asked = 0  # how often enrolment was asked (for tests and metrics)

    async def client_ref_for(self, claims: dict[str, Any], token: str) -> str | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = self._now()
        cached = self._cache.get(digest)
        if cached is not None:
            kept_until, known = cached
            if now < kept_until:
                self._cache.move_to_end(digest)
                return known
            del self._cache[digest]
        client_ref = await self._ask(token)
        lifetime = _remaining_lifetime(claims, now)
        if client_ref is not None and lifetime > 0:
            self._cache[digest] = (now + min(lifetime, self._max_seconds), client_ref)
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)
        return client_ref

    async def _ask(self, token: str) -> str | None:
        self.asked += 1
        if self._http is None:
            self._http = httpx.AsyncClient(transport=self._transport, timeout=self._timeout)
        try:
            response = await self._http.get(self._url, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise PeerUnavailable() from exc
        if response.status_code == 404:
            return None
        if response.status_code == 401:
            raise Unauthorized("error.unauthorized")
        if response.status_code == 403:
            raise Forbidden("error.forbidden")
        if response.status_code != 200:
            raise PeerUnavailable()
        client_ref = response.json().get("client_ref")
        if not isinstance(client_ref, str) or not client_ref:
            raise PeerUnavailable()
        return client_ref


def asking_enrolment(runtime: ServiceRuntime) -> EnrolmentClientRefs:
    """The ServiceSpec `client_refs` of a service that serves clients but is not enrolment."""
    return EnrolmentClientRefs(runtime.settings.enrolment_url)


def _remaining_lifetime(claims: dict[str, Any], now: float) -> float:
    expires = claims.get("exp")
    if not isinstance(expires, int | float):
        return 0.0  # a token without an expiry is never kept
    return float(expires) - now
