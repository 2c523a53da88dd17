"""Meeting notes, as pure rules."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from chassis.errors import DomainError, NotFound
from services.guidance.domain.guidance_record import GuidanceRecord, request_meeting
from services.guidance.domain.meeting_notes import MAX_NOTE_LENGTH, note_text

NOW = datetime(2026, 12, 8, 9, tzinfo=UTC)


def with_meeting() -> tuple[GuidanceRecord, UUID]:
    record = GuidanceRecord(uuid4())
    meeting_id, events = request_meeting(record, uuid4(), "counselor", None, NOW)
    for event in events:
        record.apply(event)
    return record, meeting_id


def test_a_note_is_kept_without_surrounding_blanks() -> None:
    record, meeting_id = with_meeting()
    assert (
        note_text(record, meeting_id, "  Sovittiin CV:n päivitys.\n") == "Sovittiin CV:n päivitys."
    )


def test_a_note_needs_a_meeting_of_the_path() -> None:
    record, _ = with_meeting()
    with pytest.raises(NotFound):
        note_text(record, uuid4(), "Muistiinpano")


@pytest.mark.parametrize("text", ["", " \n "])
def test_an_empty_note_is_refused(text: str) -> None:
    record, meeting_id = with_meeting()
    with pytest.raises(DomainError) as refused:
        note_text(record, meeting_id, text)
    assert refused.value.code == "guidance.note_empty"


def test_a_note_is_at_most_the_limit() -> None:
    record, meeting_id = with_meeting()
    assert note_text(record, meeting_id, "a" * MAX_NOTE_LENGTH)
    with pytest.raises(DomainError) as refused:
        note_text(record, meeting_id, "a" * (MAX_NOTE_LENGTH + 1))
    assert refused.value.params == {"limit": MAX_NOTE_LENGTH, "length": MAX_NOTE_LENGTH + 1}
