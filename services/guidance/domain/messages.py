"""A path's thread of messages between its client and its counselors (pure; decision 0041).

The words never enter an event: `MessageWaiting` only says that one waits, and for whom.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from chassis.errors import Conflict, DomainError
from contracts.events.base import EventModel
from contracts.events.guidance import MessageWaiting

MAX_MESSAGE_LENGTH = 2000
Side = Literal["client", "counselor"]


@dataclass(frozen=True)
class NewMessage:
    """A message as it is kept, in the transaction of its MessageWaiting."""

    entry_id: UUID
    pathway_id: UUID
    from_role: Side
    author_id: str
    body: str
    written_at: datetime


def write_message(
    pathway_id: UUID, entry_id: UUID, from_role: Side, text: str, *, ended: bool
) -> tuple[str, list[EventModel]]:
    """The message as it is kept (without surrounding blanks) and the event that tells it waits.

    An ended path takes no more messages (decision 0018: an ended path is read-only); its
    thread can still be read.
    """
    if ended:
        raise Conflict("guidance.messages_path_ended")
    body = text.strip()
    if not body:
        raise DomainError("guidance.message_empty")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise DomainError("guidance.message_too_long", limit=MAX_MESSAGE_LENGTH, length=len(body))
    waiting = MessageWaiting(pathway_id=pathway_id, entry_id=entry_id, from_role=from_role)
    return body, [waiting]


def side_of(role: str) -> Side:
    """The side of the thread a caller writes on: the client, or the path's staff."""
    return "client" if role == "client" else "counselor"


def other_side(side: Side) -> Side:
    return "counselor" if side == "client" else "client"
