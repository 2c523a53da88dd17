"""Reads and requests to the guidance service, on behalf of the signed-in client.

The client's own token is passed on, so guidance decides for itself what this client may see;
the correlation id travels with the call. Guidance being slow or down must not take the
client's pages with it: callers get `GuidanceUnavailable` and show a calm notice instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from uuid import UUID

import httpx
from pydantic import BaseModel, ValidationError

from chassis.logs import CORRELATION_HEADER, get_logger
from chassis.outbound_tls import tls_context

log = get_logger(__name__)
TIMEOUT = httpx.Timeout(3.0)


class GuidanceUnavailable(Exception):
    """Guidance did not answer, or answered something we cannot use."""


class FeedbackItem(BaseModel):
    feedback_id: UUID
    answer_id: UUID
    text: str
    given_at: datetime


class MeetingItem(BaseModel):
    meeting_id: UUID
    state: str
    task_ids: list[str]
    starts_at: datetime | None
    mode: str | None


class _Feedback(BaseModel):
    items: list[FeedbackItem]


class _Meetings(BaseModel):
    items: list[MeetingItem]


Listing = TypeVar("Listing", bound=BaseModel)


@dataclass(frozen=True)
class GuidanceClient:
    base_url: str
    token: str
    correlation_id: str

    def _headers(self, **extra: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            CORRELATION_HEADER: self.correlation_id,
            **extra,
        }

    async def _call(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        try:
            async with httpx.AsyncClient(
                base_url=self.base_url, timeout=TIMEOUT, verify=tls_context()
            ) as http:
                response = await http.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            log.warning("guidance unreachable", path=path, error=str(exc))
            raise GuidanceUnavailable(path) from exc
        if response.status_code >= 400:
            log.warning("guidance refused", path=path, status=response.status_code)
            raise GuidanceUnavailable(f"{path}: {response.status_code}")
        return response

    async def _read(self, path: str, shape: type[Listing]) -> Listing:
        response = await self._call("GET", path, headers=self._headers())
        try:
            return shape.model_validate_json(response.content)
        except ValidationError as exc:
            raise GuidanceUnavailable(f"{path}: unexpected body") from exc

    async def feedback(self, pathway_id: UUID) -> list[FeedbackItem]:
        return (await self._read(f"/pathways/{pathway_id}/feedback", _Feedback)).items

    async def meetings(self, pathway_id: UUID) -> list[MeetingItem]:
        return (await self._read(f"/pathways/{pathway_id}/meetings", _Meetings)).items

    async def request_meeting(
        self, pathway_id: UUID, task_id: str | None, idempotency_key: str
    ) -> None:
        await self._call(
            "POST",
            f"/pathways/{pathway_id}/meeting-requests",
            json={"task_id": task_id},
            headers=self._headers(**{"Idempotency-Key": idempotency_key}),
        )
