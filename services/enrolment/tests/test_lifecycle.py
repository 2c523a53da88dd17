"""A path's life after opening: counselors, completion, discontinuation, erasure (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from chassis.errors import Conflict, DomainError, NotFound
from contracts.events.enrolment import (
    ClientDataErased,
    PathwayCompleted,
    PathwayDiscontinued,
    PathwayPaused,
)
from services.enrolment.domain.commands import (
    AssignCounselor,
    Complete,
    Discontinue,
    PathCommand,
    Pause,
    Resume,
    decide,
)
from services.enrolment.domain.pathway import (
    SUITABILITY_CRITERIA,
    OpenPathway,
    Pathway,
    complete_pathway,
    discontinue_pathway,
    erase_client_data,
    open_pathway,
    pause_pathway,
)

TODAY = date(2026, 11, 24)
START = TODAY - timedelta(days=5)
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def opened(start: date = START) -> Pathway:
    pathway = Pathway(uuid4(), tenant="kanta-hame")
    command = OpenPathway(
        pathway_id=pathway.pathway_id,
        client_ref="c-1",
        municipality="Forssa",
        unit="KTT",
        cohort="2026-syksy",
        start_date=start,
        counselor_ids=["staff-1"],
        suitability=dict.fromkeys(SUITABILITY_CRITERIA, True),
    )
    for event in open_pathway(command, min(start, TODAY)):
        pathway.apply(event)
    return pathway


def run(pathway: Pathway, command: PathCommand) -> Pathway:
    for event in decide(pathway, command, TODAY):
        pathway.apply(event)
    return pathway


def test_opening_remembers_where_the_path_runs() -> None:
    pathway = opened()
    assert (pathway.municipality, pathway.unit, pathway.cohort) == ("Forssa", "KTT", "2026-syksy")
    assert pathway.is_open and not pathway.erased


def test_a_pause_may_say_why() -> None:
    events = pause_pathway(opened(), TODAY, None, TODAY, reason="illness")
    assert isinstance(events[0], PathwayPaused) and events[0].reason == "illness"
    unexplained = pause_pathway(opened(), TODAY, None, TODAY)[0]
    assert isinstance(unexplained, PathwayPaused) and unexplained.reason is None


def test_a_running_path_completes() -> None:
    pathway = opened()
    events = complete_pathway(pathway, TODAY, TODAY)
    assert events == [PathwayCompleted(pathway_id=pathway.pathway_id, completed_on=TODAY)]
    pathway.apply(events[0])
    assert pathway.status == "completed" and not pathway.is_open


def test_a_paused_path_resumes_before_it_completes() -> None:
    pathway = run(opened(), Pause(TODAY))
    with pytest.raises(Conflict) as refused:
        complete_pathway(pathway, TODAY, TODAY)
    assert refused.value.code == "enrolment.complete_needs_active"
    run(pathway, Resume(TODAY))
    assert run(pathway, Complete(TODAY)).status == "completed"


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (TODAY + timedelta(days=1), "enrolment.date_in_future"),
        (TODAY - timedelta(days=8), "enrolment.date_too_early"),
        (START - timedelta(days=1), "enrolment.end_before_start"),
    ],
)
def test_an_end_on_an_impossible_day_is_refused(day: date, code: str) -> None:
    with pytest.raises(DomainError) as completing:
        complete_pathway(opened(), day, TODAY)
    assert completing.value.code == code
    with pytest.raises(DomainError) as discontinuing:
        discontinue_pathway(opened(), "employed", day, TODAY)
    assert discontinuing.value.code == code


def test_a_path_not_yet_started_may_end_before_its_start() -> None:
    pathway = opened(start=TODAY + timedelta(days=7))
    events = discontinue_pathway(pathway, "employed", TODAY, TODAY)
    assert events == [
        PathwayDiscontinued(pathway_id=pathway.pathway_id, discontinued_on=TODAY, reason="employed")
    ]


def test_a_paused_path_can_be_discontinued_but_not_before_the_pause() -> None:
    pathway = run(opened(), Pause(TODAY - timedelta(days=2), reason="family"))
    with pytest.raises(DomainError) as early:
        discontinue_pathway(pathway, "moved", TODAY - timedelta(days=3), TODAY)
    assert early.value.code == "enrolment.end_before_pause"
    run(pathway, Discontinue("moved", TODAY))
    assert pathway.status == "discontinued" and pathway.paused_on is None


@pytest.mark.parametrize(
    "command",
    [
        Pause(TODAY),
        Resume(TODAY),
        Complete(TODAY),
        Discontinue("other", TODAY),
        AssignCounselor("staff-2"),
    ],
    ids=lambda c: type(c).__name__,
)
@pytest.mark.parametrize("ending", [Complete(TODAY), Discontinue("studies", TODAY)])
def test_a_closed_path_refuses_every_change(command: PathCommand, ending: PathCommand) -> None:
    pathway = run(opened(), ending)
    with pytest.raises(Conflict) as refused:
        decide(pathway, command, TODAY)
    assert refused.value.code == "enrolment.pathway_closed"


def test_only_an_assigned_counselor_can_be_replaced() -> None:
    pathway = opened()
    with pytest.raises(Conflict) as refused:
        decide(pathway, AssignCounselor("staff-3", replaces="staff-9"), TODAY)
    assert refused.value.code == "enrolment.replaced_counselor_not_assigned"
    run(pathway, AssignCounselor("staff-2"))
    assert pathway.counselor_ids == ["staff-1", "staff-2"]
    run(pathway, AssignCounselor("staff-3", replaces="staff-1"))
    assert pathway.counselor_ids == ["staff-2", "staff-3"]
    assert decide(pathway, AssignCounselor("staff-3", replaces="staff-3"), TODAY) == []


def test_erasing_an_open_path_ends_it_first() -> None:
    pathway = run(opened(), Pause(TODAY))
    events = erase_client_data(pathway, NOW, TODAY)
    assert [e.event_type for e in events] == ["PathwayDiscontinued", "ClientDataErased"]
    assert events[0] == PathwayDiscontinued(
        pathway_id=pathway.pathway_id, discontinued_on=TODAY, reason="other"
    )
    assert events[1] == ClientDataErased(
        pathway_id=pathway.pathway_id, client_ref="c-1", erased_at=NOW
    )
    for event in events:
        pathway.apply(event)
    assert (pathway.status, pathway.erased) == ("discontinued", True)
    assert erase_client_data(pathway, NOW, TODAY) == []


def test_erasing_a_closed_path_keeps_how_it_ended() -> None:
    pathway = run(opened(), Complete(TODAY))
    events = erase_client_data(pathway, NOW, TODAY)
    assert [e.event_type for e in events] == ["ClientDataErased"]
    pathway.apply(events[0])
    assert (pathway.status, pathway.erased) == ("completed", True)


def test_nothing_is_erased_from_a_path_that_does_not_exist() -> None:
    with pytest.raises(NotFound):
        erase_client_data(Pathway(uuid4()), NOW, TODAY)
