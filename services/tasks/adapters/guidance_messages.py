"""The client's thread with their counselors, kept by guidance (decision 0041).

Called with the client's own token, like the rest of `GuidanceClient`: guidance alone decides
whose thread it is. Guidance being slow or down gives `GuidanceUnavailable`; a message it
refuses gives `MessageRefused` with guidance's own explanation in the client's language.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import httpx
from pydantic import BaseModel

from chassis.outbound_tls import tls_context
from services.tasks.adapters.guidance_client import TIMEOUT, GuidanceClient, GuidanceUnavailable


class MessageItem(BaseModel):
    entry_id: UUID
    from_role: Literal["client", "counselor"]
    text: str
    written_at: datetime
    read: bool


class Thread(BaseModel):
    items: list[MessageItem]
    unread: int


class _Unread(BaseModel):
    unread: int


class MessageRefused(Exception):
    """Guidance refused the message (the path ended, the text was refused): `detail` says why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class MessagesClient(GuidanceClient):
    async def thread(self, pathway_id: UUID) -> Thread:
        """The thread; the counselors' messages count as read from now on."""
        return await self._read(f"/pathways/{pathway_id}/messages", Thread)

    async def unread(self, pathway_id: UUID) -> int:
        return (await self._read(f"/pathways/{pathway_id}/messages/unread", _Unread)).unread

    async def write(self, pathway_id: UUID, text: str, idempotency_key: str, language: str) -> None:
        path = f"/pathways/{pathway_id}/messages"
        headers = self._headers(**{"Idempotency-Key": idempotency_key, "Accept-Language": language})
        try:
            async with httpx.AsyncClient(
                base_url=self.base_url, timeout=TIMEOUT, verify=tls_context()
            ) as http:
                response = await http.post(path, json={"text": text}, headers=headers)
        except httpx.HTTPError as exc:
            raise GuidanceUnavailable(path) from exc
        if response.status_code in (409, 422):
            # Decided, not failed: the page tells the client guidance's reason.
            try:
                detail = str(response.json()["detail"])
            except (ValueError, KeyError, TypeError) as exc:
                raise GuidanceUnavailable(f"{path}: unexpected body") from exc
            raise MessageRefused(response.status_code, detail)
        if response.status_code >= 400:
            raise GuidanceUnavailable(f"{path}: {response.status_code}")
