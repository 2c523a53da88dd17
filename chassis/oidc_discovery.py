"""The issuer's OpenID Connect discovery document, fetched once and kept.

Every endpoint a service uses (authorization, token, end of session, keys) comes from
`<issuer>/.well-known/openid-configuration`, so an operator configures only the issuer. The
document is checked with Authlib's provider metadata rules, and its `issuer` must be the one
configured: a document that names another issuer is refused (OpenID Connect Discovery 4.3).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
from authlib.oidc.discovery import OpenIDProviderMetadata  # type: ignore[import-untyped]

# Makes the HTTP client the provider fetches with (tests give one over an in-process issuer).
HttpClients = Callable[[], httpx.AsyncClient]


def default_http() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=5.0)


class DiscoveryError(Exception):
    """The issuer's discovery document could not be fetched or does not check out."""


class OidcProvider:
    """The issuer's endpoints; the document is fetched on first use and again after `max_age`."""

    def __init__(
        self,
        issuer: str,
        *,
        http: HttpClients = default_http,
        max_age: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.http = http
        self._max_age = max_age
        self._clock = clock
        self._metadata: dict[str, Any] | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is not None and self._clock() - self._fetched_at < self._max_age:
            return self._metadata
        async with self._lock:
            if self._metadata is None or self._clock() - self._fetched_at >= self._max_age:
                try:
                    self._metadata = await self._fetch()
                    self._fetched_at = self._clock()
                except DiscoveryError:
                    if self._metadata is None:
                        raise
                    # The issuer is down for a moment: the endpoints we know still hold.
        return self._metadata

    async def endpoint(self, name: str) -> str:
        value = (await self.metadata()).get(name)
        if not isinstance(value, str) or not value:
            raise DiscoveryError(f"the issuer publishes no {name}")
        return value

    async def _fetch(self) -> dict[str, Any]:
        try:
            async with self.http() as client:
                response = await client.get(f"{self.issuer}/.well-known/openid-configuration")
                response.raise_for_status()
                document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise DiscoveryError(f"discovery failed: {type(exc).__name__}") from exc
        if not isinstance(document, dict) or document.get("issuer") != self.issuer:
            raise DiscoveryError("the discovery document names another issuer")
        try:
            OpenIDProviderMetadata(document).validate()
        except ValueError as exc:
            raise DiscoveryError(f"the discovery document is invalid: {exc}") from exc
        return document
