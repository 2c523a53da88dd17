"""What the public gets of an internal event: a path's step, minimised (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from chassis.versioned_keys import VersionedKey
from contracts.envelope import Actor, EventEnvelope
from contracts.events.tasks import TaskAnswered, WeekOpened
from contracts.registry import make_envelope
from services.reporting.domain.public_events import Place, path_ref, public_event

KEY = VersionedKey(1, b"test-key")


def _envelope(event: WeekOpened | TaskAnswered, tenant: str = "kanta-hame") -> EventEnvelope:
    return make_envelope(
        event,
        stream_id=str(event.pathway_id),
        stream_version=2,
        tenant=tenant,
        correlation_id=uuid4(),
        causation_id=None,
        actor=Actor(role="system", id="tasks"),
    )


def test_a_week_opening_keeps_its_place_and_week_and_nothing_that_names_anyone() -> None:
    pathway_id = uuid4()
    week = WeekOpened(
        pathway_id=pathway_id,
        client_ref="c-secret",
        week=3,
        opened_on=date(2026, 12, 14),
        early=False,
    )
    envelope = _envelope(week)
    public = public_event(envelope, week, Place("Forssa", "2026-syksy"), KEY)
    assert public is not None
    assert (public.event_type, public.week, public.municipality) == ("week_opened", 3, "Forssa")
    raw = public.model_dump_json()
    assert "c-secret" not in raw and str(pathway_id) not in raw
    # The same internal event always gives the same public id and path_ref.
    again = public_event(envelope, week, Place("Forssa", "2026-syksy"), KEY)
    assert again is not None and again.event_id == public.event_id
    assert public.path_ref == path_ref(KEY, "kanta-hame", pathway_id)
    assert path_ref(KEY, "pirkanmaa", pathway_id) != public.path_ref
    assert path_ref(VersionedKey(1, b"other-key"), "kanta-hame", pathway_id) != public.path_ref


def test_a_path_reference_carries_its_key_version() -> None:
    pathway_id = uuid4()
    old = path_ref(VersionedKey(1, b"secret"), "kanta-hame", pathway_id)
    rotated = path_ref(VersionedKey(2, b"secret"), "kanta-hame", pathway_id)
    assert (len(old), old[0], len(rotated), rotated[0]) == (16, "1", 16, "2")
    assert old[1:] == rotated[1:]  # same secret, same hash: only the version tells them apart


def test_an_answer_is_not_public() -> None:
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
    assert public_event(_envelope(answered), answered, None, KEY) is None
