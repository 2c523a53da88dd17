"""Pausing and resuming a path, as pure functions."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from chassis.errors import Conflict, DomainError
from contracts.events.enrolment import PathwayPaused, PathwayResumed
from services.enrolment.domain.pathway import (
    SUITABILITY_CRITERIA,
    OpenPathway,
    Pathway,
    open_pathway,
    pause_pathway,
    resume_pathway,
)

TODAY = date(2026, 11, 24)
START = TODAY - timedelta(days=5)


def opened() -> Pathway:
    pathway = Pathway(uuid4(), tenant="hame")
    command = OpenPathway(
        pathway_id=pathway.pathway_id,
        client_ref="c-1",
        municipality="Forssa",
        unit="KTT",
        cohort="2026-syksy",
        start_date=START,
        counselor_ids=["staff-1"],
        suitability=dict.fromkeys(SUITABILITY_CRITERIA, True),
    )
    for event in open_pathway(command, START):
        pathway.apply(event)
    return pathway


def test_a_path_pauses_and_resumes_once_each() -> None:
    pathway = opened()
    paused = pause_pathway(pathway, TODAY - timedelta(days=2), None, TODAY)
    assert isinstance(paused[0], PathwayPaused)
    pathway.apply(paused[0])
    assert (pathway.status, pathway.paused_on) == ("paused", TODAY - timedelta(days=2))
    with pytest.raises(Conflict) as twice:
        pause_pathway(pathway, TODAY, None, TODAY)
    assert twice.value.code == "enrolment.already_paused"
    resumed = resume_pathway(pathway, TODAY, TODAY)
    assert isinstance(resumed[0], PathwayResumed)
    pathway.apply(resumed[0])
    assert pathway.paused_on is None
    with pytest.raises(Conflict) as again:
        resume_pathway(pathway, TODAY, TODAY)
    assert again.value.code == "enrolment.not_paused"


@pytest.mark.parametrize(
    ("paused_on", "until", "code"),
    [
        (TODAY + timedelta(days=1), None, "enrolment.date_in_future"),
        (START - timedelta(days=1), None, "enrolment.pause_before_start"),
        (TODAY, TODAY - timedelta(days=1), "enrolment.pause_ends_before_it_begins"),
    ],
)
def test_a_pause_with_impossible_dates_is_refused(
    paused_on: date, until: date | None, code: str
) -> None:
    with pytest.raises(DomainError) as refused:
        pause_pathway(opened(), paused_on, until, TODAY)
    assert refused.value.code == code


def test_a_resume_cannot_come_before_the_pause_or_too_far_back() -> None:
    pathway = opened()
    pathway.apply(pause_pathway(pathway, TODAY - timedelta(days=1), None, TODAY)[0])
    with pytest.raises(DomainError) as early:
        resume_pathway(pathway, TODAY - timedelta(days=2), TODAY)
    assert early.value.code == "enrolment.pause_ends_before_it_begins"
    with pytest.raises(DomainError) as stale:
        resume_pathway(pathway, TODAY - timedelta(days=30), TODAY)
    assert stale.value.code == "enrolment.date_too_early"
