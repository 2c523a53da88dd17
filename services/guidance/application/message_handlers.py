"""A path's thread: its client and its counselors write, and read what the other side wrote.

Only the path's own client and its assigned counselors take part (decision 0041): not the
tenant's admins, whose work is the path, not the conversation. Each message is kept in its
forgettable table in the command's transaction, beside the content-free `MessageWaiting`
that tells guidance's consumers (and, for a counselor's message, the county app) that it
waits. Every read by a counselor goes to the access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

import asyncpg
from uuid6 import uuid7

from chassis.access_log import record_read
from chassis.auth import Principal
from chassis.errors import Forbidden
from chassis.event_store import AppendResult
from chassis.streams import CommandContext
from chassis.unit_of_work import CommandPipeline, Ran, UnitOfWork
from contracts.events.guidance import MessageWaiting
from services.guidance.adapters.message_texts import (
    PathMessage,
    mark_read,
    thread_of,
    unread_count,
)
from services.guidance.adapters.path_access import PathAccess
from services.guidance.application.ports import Paths, Texts
from services.guidance.application.records import first_event, load_record, require_access
from services.guidance.application.retry import once_more_on_conflict
from services.guidance.domain.messages import NewMessage, other_side, side_of, write_message

THREAD_ROLES = ("client", "counselor")


class MessageTexts(Protocol):
    async def keep_message(self, work: UnitOfWork, message: NewMessage) -> None:
        """Kept with its MessageWaiting: both or neither."""


async def _thread_access(paths: Paths, pathway_id: UUID, principal: Principal) -> PathAccess:
    """The path, for its own client or one of its assigned counselors."""
    if principal.role not in THREAD_ROLES:
        raise Forbidden("error.forbidden")
    return await require_access(paths, pathway_id, principal, staff_only=False)


@dataclass(frozen=True)
class Thread:
    messages: list[PathMessage]
    # How many of the other side's messages were unread before this read.
    unread: int
    # The path has ended: the thread is read-only.
    ended: bool


@dataclass(frozen=True)
class MessageCommands:
    pipeline: CommandPipeline
    paths: Paths
    texts: Texts
    messages: MessageTexts
    pool: asyncpg.Pool

    async def write(
        self,
        pathway_id: UUID,
        text: str,
        principal: Principal,
        context: CommandContext,
        now: datetime,
    ) -> Ran[UUID]:
        """Returns the message's id (the first one's, for a retry)."""
        access = await _thread_access(self.paths, pathway_id, principal)
        side = side_of(principal.role)

        async def handle(work: UnitOfWork) -> UUID:
            record = await load_record(work.load, pathway_id)
            entry_id = uuid7()
            body, events = write_message(
                pathway_id, entry_id, side, text, ended=access.ended_on is not None
            )
            await self.texts.refuse_if_erased(work, pathway_id)
            await work.append(str(pathway_id), record.version, events)
            message = NewMessage(entry_id, pathway_id, side, principal.subject, body, now)
            await self.messages.keep_message(work, message)
            return entry_id

        async def replay(recorded: AppendResult) -> UUID:
            event = await first_event(self.pipeline.load, recorded)
            assert isinstance(event, MessageWaiting)
            return event.entry_id

        # A message adds to the thread and depends on no decision: both of two at once stand.
        return await once_more_on_conflict(lambda: self.pipeline.run(context, handle, replay))

    async def read(self, pathway_id: UUID, principal: Principal, now: datetime) -> Thread:
        """The thread, oldest first; the other side's messages are read from now on."""
        access = await _thread_access(self.paths, pathway_id, principal)
        written_by = other_side(side_of(principal.role))
        if principal.is_staff and access.client_ref is not None:
            await record_read(self.pool, principal, access.client_ref, "messages", pathway_id)
        unread = await unread_count(self.pool, pathway_id, written_by)
        messages = await thread_of(self.pool, pathway_id)
        if unread:
            await mark_read(self.pool, pathway_id, written_by, now)
        return Thread(messages, unread, access.ended_on is not None)

    async def unread(self, pathway_id: UUID, principal: Principal) -> int:
        """How many of the other side's messages wait for the caller (reads no words)."""
        await _thread_access(self.paths, pathway_id, principal)
        return await unread_count(self.pool, pathway_id, other_side(side_of(principal.role)))
