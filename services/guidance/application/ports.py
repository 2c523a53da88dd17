"""What guidance's commands read and write besides events, as the commands see it.

Kept behind protocols so the handlers run against the in-memory store in tests; the
PostgreSQL implementations read the caseload and write the forgettable texts in the command's
transaction (`work.connection`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from chassis.unit_of_work import UnitOfWork
from services.guidance.adapters.answers_projection import SeenAnswer
from services.guidance.adapters.meeting_notes import StoredNote
from services.guidance.adapters.path_access import PathAccess


@dataclass(frozen=True)
class NewFeedback:
    feedback_id: UUID
    pathway_id: UUID
    answer_id: UUID
    counselor_id: str
    body: str
    given_at: datetime


@dataclass(frozen=True)
class NewNote:
    note_id: UUID
    pathway_id: UUID
    meeting_id: UUID
    counselor_id: str
    body: str
    written_at: datetime


class Paths(Protocol):
    async def find(self, pathway_id: UUID) -> PathAccess | None:
        """The path as guidance knows it (from the caseload), or None before it has arrived."""


class Answers(Protocol):
    async def seen(self, pathway_id: UUID, answer_id: UUID) -> SeenAnswer | None:
        """The answer once it has reached guidance, if it belongs to this path."""


class Texts(Protocol):
    """The counselors' free text, kept apart from the events so that it can be erased."""

    async def refuse_if_erased(self, work: UnitOfWork, pathway_id: UUID) -> None:
        """In the command's transaction: refuse a text for a client who has been erased."""

    async def keep_feedback(self, work: UnitOfWork, feedback: NewFeedback) -> None:
        """Kept with its FeedbackGiven: both or neither."""

    async def keep_note(self, work: UnitOfWork, note: NewNote) -> StoredNote:
        """Kept under the command's idempotency key; a retry gets the note kept the first
        time, and the same key with another note is refused."""
