"""Reads from the services that own a client's other data, with the counselor's identity.

The counselor's own access token (from their session) is passed on, so tasks and enrolment
decide for themselves what this counselor may see, and log the read in their own access logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx
from fastapi import Request

from chassis.http_auth import page_access_token
from chassis.logs import CORRELATION_HEADER, current_correlation_id, get_logger
from chassis.outbound_tls import tls_context

log = get_logger(__name__)
TIMEOUT = httpx.Timeout(5.0)


class PeerUnavailable(Exception):
    """The other service did not answer, or refused."""


@dataclass(frozen=True)
class CommandResult:
    """What a command sent to another service came back with; `detail` is its Finnish or
    Swedish explanation when it refused (problem details)."""

    status: int
    body: dict[str, Any]

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    @property
    def detail(self) -> str:
        return str(self.body.get("detail", ""))


@dataclass(frozen=True)
class Choice:
    """One entry of a registry, as an opening form offers it."""

    code: str
    name: str


@dataclass(frozen=True)
class Registries:
    """The tenant's municipalities, units and cohorts (enrolment's registries)."""

    municipalities: list[Choice]
    units: list[Choice]
    cohorts: list[Choice]


@dataclass(frozen=True)
class PeerServices:
    tasks_url: str
    enrolment_url: str
    token: str
    # Every service with a database, this one included: each keeps its own access log.
    all_urls: tuple[str, ...] = ()

    @classmethod
    def for_request(cls, request: Request) -> PeerServices:
        settings = request.app.state.runtime.settings
        urls = (
            settings.enrolment_url,
            settings.tasks_url,
            settings.guidance_url,
            settings.reporting_url,
        )
        return cls(settings.tasks_url, settings.enrolment_url, page_access_token(request), urls)

    async def access_log(self, client_ref: str) -> list[dict[str, Any]]:
        """Who read this client's data, in every service, oldest first (admins only)."""
        entries: list[dict[str, Any]] = []
        for base in self.all_urls:
            body = await self._get(f"{base}/access-log?client_ref={quote(client_ref)}")
            entries += body["items"]
        return sorted(entries, key=lambda entry: str(entry["read_at"]))

    def _headers(self, **extra: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            CORRELATION_HEADER: str(current_correlation_id()),
            **extra,
        }

    async def _get(self, url: str) -> Any:
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT, verify=tls_context()) as http:
                response = await http.get(url, headers=self._headers())
        except httpx.HTTPError as exc:
            log.warning("peer unreachable", url=url, error=str(exc))
            raise PeerUnavailable(url) from exc
        if response.status_code != 200:
            log.warning("peer refused", url=url, status=response.status_code)
            raise PeerUnavailable(f"{url}: {response.status_code}")
        return response.json()

    async def names(self) -> dict[str, str]:
        """The counselor's clients' names by path, from enrolment's vault (one page suffices
        for a caseload; a very large one shows the rest without names)."""
        body = await self._get(f"{self.enrolment_url}/pathways?limit=500")
        return {
            str(item["pathway_id"]): f"{item['first_name']} {item['last_name']}"
            for item in body["items"]
            if item.get("first_name")
        }

    async def registries(self, lang: str) -> Registries:
        """What a new path may be opened with: codes, named in the reader's language."""

        return Registries(
            await self.registry("municipalities", lang),
            await self.registry("units", lang),
            await self.registry("cohorts", lang),
        )

    async def registry(self, kind: str, lang: str) -> list[Choice]:
        """One of the tenant's registries (its active entries), named in the reader's language."""
        body = await self._get(f"{self.enrolment_url}/registry/{kind}")
        return [
            Choice(str(item["code"]), str(item.get(f"name_{lang}") or item["name_fi"]))
            for item in body["items"]
            if item.get("active", True)
        ]

    async def counselors(self) -> list[Choice]:
        """The tenant's counselors in enrolment's staff directory, by subject."""
        body = await self._get(f"{self.enrolment_url}/staff")
        return [
            Choice(str(item["subject"]), str(item.get("display_name") or item["subject"]))
            for item in body["items"]
            if item.get("role") == "counselor" and item.get("active", True)
        ]

    async def path(self, pathway_id: UUID) -> dict[str, Any]:
        body: dict[str, Any] = await self._get(f"{self.enrolment_url}/pathways/{pathway_id}")
        return body

    async def answers(self, pathway_id: UUID) -> list[dict[str, Any]]:
        body = await self._get(f"{self.tasks_url}/pathways/{pathway_id}/answers")
        items: list[dict[str, Any]] = body["items"]
        return items

    async def plan(self, pathway_id: UUID, lang: str) -> dict[str, Any]:
        url = f"{self.tasks_url}/pathways/{pathway_id}/plan?lang={lang}"
        body: dict[str, Any] = await self._get(url)
        return body

    async def summary(self, pathway_id: UUID) -> dict[str, Any]:
        body: dict[str, Any] = await self._get(f"{self.tasks_url}/pathways/{pathway_id}/summary")
        return body

    async def command(
        self, url: str, body: dict[str, Any], idempotency_key: str, language: str
    ) -> CommandResult:
        """POST a command to enrolment; refusals come back as results, not exceptions."""
        headers = self._headers(**{"Idempotency-Key": idempotency_key, "Accept-Language": language})
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT, verify=tls_context()) as http:
                response = await http.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("peer unreachable", url=url, error=str(exc))
            raise PeerUnavailable(url) from exc
        try:
            parsed = response.json()
        except ValueError:
            parsed = {}
        return CommandResult(response.status_code, parsed if isinstance(parsed, dict) else {})

    async def open_path(self, body: dict[str, Any], key: str, language: str) -> CommandResult:
        return await self.command(f"{self.enrolment_url}/pathways", body, key, language)

    async def path_command(
        self, pathway_id: UUID, action: str, body: dict[str, Any], key: str, language: str
    ) -> CommandResult:
        url = f"{self.enrolment_url}/pathways/{pathway_id}/{action}"
        return await self.command(url, body, key, language)

    async def erase_client(
        self, client_ref: str, reason: str, key: str, language: str
    ) -> CommandResult:
        url = f"{self.enrolment_url}/clients/{quote(client_ref)}/erasure"
        return await self.command(url, {"reason": reason}, key, language)
