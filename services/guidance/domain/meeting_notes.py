"""The counselor's notes of a guidance meeting (pure).

A note is free text and never enters an event; the record only vouches that its meeting exists.
"""

from __future__ import annotations

from uuid import UUID

from chassis.errors import DomainError, NotFound
from services.guidance.domain.guidance_record import GuidanceRecord

MAX_NOTE_LENGTH = 2000


def note_text(record: GuidanceRecord, meeting_id: UUID, text: str) -> str:
    """The note as it is kept (without surrounding blanks), once it may be written."""
    if meeting_id not in record.meetings:
        raise NotFound("error.not_found")
    stripped = text.strip()
    if not stripped:
        raise DomainError("guidance.note_empty")
    if len(stripped) > MAX_NOTE_LENGTH:
        raise DomainError("guidance.note_too_long", limit=MAX_NOTE_LENGTH, length=len(stripped))
    return stripped
