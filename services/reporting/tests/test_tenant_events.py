"""What the tenant's own systems get of an internal event: only what reminders need (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import pytest

from chassis.versioned_keys import VersionedKey
from contracts.envelope import Actor, EventEnvelope
from contracts.events.base import EventModel
from contracts.events.enrolment import ClientDataErased, PathwayCompleted, PathwayDiscontinued
from contracts.events.tasks import TaskAnswered, WeekOpened
from contracts.registry import make_envelope
from services.reporting.domain.tenant_events import (
    forgotten_event_id,
    path_ref,
    tenant_event,
    tenant_event_id,
)

KEY = VersionedKey(1, b"test-key")


def _envelope(event: EventModel, tenant: str = "kanta-hame") -> EventEnvelope:
    return make_envelope(
        event,
        stream_id=str(getattr(event, "pathway_id", "")),
        stream_version=2,
        tenant=tenant,
        correlation_id=uuid4(),
        causation_id=None,
        actor=Actor(role="system", id="tasks"),
    )


def _week(pathway_id: UUID) -> WeekOpened:
    return WeekOpened(
        pathway_id=pathway_id,
        client_ref="c-secret",
        week=3,
        opened_on=date(2026, 12, 14),
        early=False,
    )


def test_a_week_opening_keeps_its_week_and_day_and_nothing_that_names_anyone() -> None:
    pathway_id = uuid4()
    week = _week(pathway_id)
    envelope = _envelope(week)
    event = tenant_event(envelope, week, KEY)
    assert event is not None
    assert (event.event_type, event.week, event.on) == ("week_opened", 3, date(2026, 12, 14))
    raw = event.model_dump_json()
    for internal in ("c-secret", str(pathway_id), str(envelope.event_id)):
        assert internal not in raw
    # The same internal event always gives the same id and path_ref.
    again = tenant_event(envelope, week, KEY)
    assert again is not None and again.event_id == event.event_id
    assert event.path_ref == path_ref(KEY, "kanta-hame", pathway_id)
    assert path_ref(KEY, "pirkanmaa", pathway_id) != event.path_ref
    assert path_ref(VersionedKey(1, b"other-key"), "kanta-hame", pathway_id) != event.path_ref


def test_the_event_id_cannot_be_joined_to_the_internal_one_without_the_key() -> None:
    week = _week(uuid4())
    envelope = _envelope(week)
    ours = tenant_event(envelope, week, KEY)
    theirs = tenant_event(envelope, week, VersionedKey(1, b"another-tenant-key"))
    assert ours is not None and theirs is not None
    assert ours.event_id != theirs.event_id
    # Not the unkeyed derivation the public events had before (decision 0012).
    assert ours.event_id != uuid5(NAMESPACE_URL, f"digipolku-public:{envelope.event_id}")
    assert ours.event_id == tenant_event_id(KEY, envelope.event_id)


@pytest.mark.parametrize(
    "ending",
    [
        PathwayCompleted(pathway_id=UUID(int=7), completed_on=date(2027, 2, 1)),
        PathwayDiscontinued(
            pathway_id=UUID(int=7), reason="health", discontinued_on=date(2027, 2, 1)
        ),
    ],
)
def test_an_ending_says_only_that_the_path_ended(
    ending: PathwayCompleted | PathwayDiscontinued,
) -> None:
    event = tenant_event(_envelope(ending), ending, KEY)
    assert event is not None
    assert (event.event_type, event.on, event.week) == ("path_ended", date(2027, 2, 1), None)
    assert "health" not in event.model_dump_json()


def test_an_erasure_is_the_paths_one_forgetting() -> None:
    pathway_id = uuid4()
    erased = ClientDataErased(
        pathway_id=pathway_id, client_ref="c-secret", erased_at=datetime(2027, 3, 1, tzinfo=UTC)
    )
    first = tenant_event(_envelope(erased), erased, KEY)
    second = tenant_event(_envelope(erased), erased, KEY)  # another erasure event, same path
    assert first is not None and second is not None
    assert (first.event_type, first.on) == ("path_forgotten", None)
    assert first.event_id == second.event_id == forgotten_event_id(KEY, "kanta-hame", pathway_id)


def test_a_path_reference_carries_its_key_version() -> None:
    pathway_id = uuid4()
    old = path_ref(VersionedKey(1, b"secret"), "kanta-hame", pathway_id)
    rotated = path_ref(VersionedKey(2, b"secret"), "kanta-hame", pathway_id)
    assert (len(old), old[0], len(rotated), rotated[0]) == (16, "1", 16, "2")
    assert old[1:] == rotated[1:]  # same secret, same hash: only the version tells them apart


def test_an_answer_is_not_for_the_tenants_systems() -> None:
    answered = TaskAnswered(
        pathway_id=uuid4(),
        client_ref="c-1",
        task_id="w01-t1",
        week=1,
        answer_id=uuid4(),
        answer_length=12,
        kind="answer",
        late=False,
        answered_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert tenant_event(_envelope(answered), answered, KEY) is None
