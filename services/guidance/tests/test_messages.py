"""A path's thread (pure): what a message is kept as, the event that tells it waits, and the
caseload's flag for the client's unread messages (decision 0041)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest

from chassis.errors import Conflict, DomainError
from contracts.events.guidance import MessageWaiting
from services.guidance.domain.caseload import attention
from services.guidance.domain.messages import MAX_MESSAGE_LENGTH, other_side, side_of, write_message
from services.guidance.tests.test_caseload import FRESH, START


def test_a_message_is_kept_trimmed_and_its_event_names_only_who_wrote_it() -> None:
    pathway_id, entry_id = uuid4(), uuid4()
    body, events = write_message(
        pathway_id, entry_id, "client", "  Mikä on työkokeilu?\n", ended=False
    )
    assert body == "Mikä on työkokeilu?"
    assert events == [MessageWaiting(pathway_id=pathway_id, entry_id=entry_id, from_role="client")]
    assert "työkokeilu" not in events[0].model_dump_json()


def test_an_empty_or_too_long_message_is_refused_in_words() -> None:
    with pytest.raises(DomainError) as empty:
        write_message(uuid4(), uuid4(), "client", " \n ", ended=False)
    assert empty.value.code == "guidance.message_empty"
    with pytest.raises(DomainError) as long:
        write_message(uuid4(), uuid4(), "counselor", "a" * (MAX_MESSAGE_LENGTH + 1), ended=False)
    assert long.value.code == "guidance.message_too_long"


def test_an_ended_path_takes_no_message() -> None:
    with pytest.raises(Conflict) as refused:
        write_message(uuid4(), uuid4(), "counselor", "Hei!", ended=True)
    assert refused.value.code == "guidance.messages_path_ended"


def test_the_sides_of_a_thread() -> None:
    assert (side_of("client"), side_of("counselor")) == ("client", "counselor")
    assert (other_side("client"), other_side("counselor")) == ("counselor", "client")


def test_the_clients_unread_message_flags_the_row_also_after_the_path_ended() -> None:
    today = START
    assert "message_waiting" not in attention(FRESH, today).flags
    waiting = replace(FRESH, messages_waiting=1)
    assert "message_waiting" in attention(waiting, today).flags
    ended = replace(waiting, status="completed", ended_on=date(2026, 12, 1))
    assert "message_waiting" in attention(ended, today).flags
