"""The Pathway's rules and the identity code check, as pure functions."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from chassis.errors import Conflict, DomainError, NotFound
from contracts.events.enrolment import CounselorAssigned, PathwayOpened
from services.enrolment.domain.identity_code import InvalidIdentityCode, normalise_identity_code
from services.enrolment.domain.pathway import (
    SUITABILITY_CRITERIA,
    OpenPathway,
    Pathway,
    SuitabilityNotConfirmed,
    assign_counselor,
    open_pathway,
)

TODAY = date(2026, 11, 24)


def command(**overrides: object) -> OpenPathway:
    values: dict[str, object] = {
        "pathway_id": uuid4(),
        "client_ref": "c-1",
        "municipality": "Forssa",
        "unit": "KTT",
        "cohort": "2026-syksy",
        "start_date": TODAY,
        "counselor_ids": ["staff-1"],
        "suitability": dict.fromkeys(SUITABILITY_CRITERIA, True),
    }
    values.update(overrides)
    return OpenPathway(**values)  # type: ignore[arg-type]


def test_opening_with_all_four_criteria_records_pathway_opened() -> None:
    events = open_pathway(command(), TODAY)
    assert len(events) == 1 and isinstance(events[0], PathwayOpened)


@pytest.mark.parametrize("criterion", SUITABILITY_CRITERIA)
def test_each_unconfirmed_criterion_is_named(criterion: str) -> None:
    suitability = dict.fromkeys(SUITABILITY_CRITERIA, True) | {criterion: False}
    with pytest.raises(SuitabilityNotConfirmed) as refused:
        open_pathway(command(suitability=suitability), TODAY)
    assert refused.value.missing == [f"enrolment.criterion.{criterion}"]


def test_start_date_at_most_a_week_in_the_past() -> None:
    open_pathway(command(start_date=TODAY - timedelta(days=7)), TODAY)
    with pytest.raises(DomainError) as refused:
        open_pathway(command(start_date=TODAY - timedelta(days=8)), TODAY)
    assert refused.value.code == "enrolment.start_date_too_early"


def test_history_folds_into_state_and_counselors_can_be_reassigned() -> None:
    cmd = command()
    pathway = Pathway.from_history(cmd.pathway_id, 1, "kanta-hame", open_pathway(cmd, TODAY))
    assert pathway.status == "active" and pathway.counselor_ids == ["staff-1"]
    events = assign_counselor(pathway, "staff-2", replaces="staff-1")
    assert isinstance(events[0], CounselorAssigned)
    pathway.apply(events[0])
    assert pathway.counselor_ids == ["staff-2"] and pathway.version == 2
    assert assign_counselor(pathway, "staff-2", replaces=None) == []


def test_an_unopened_path_does_not_exist() -> None:
    with pytest.raises(NotFound):
        assign_counselor(Pathway(uuid4()), "staff-2", None)


def test_a_closed_path_cannot_be_reassigned() -> None:
    pathway = Pathway(uuid4(), status="completed")
    with pytest.raises(Conflict):
        assign_counselor(pathway, "staff-2", None)


@pytest.mark.parametrize("valid", ["131052-308T", "131052-308t", " 010101A123N "])
def test_valid_identity_codes_are_normalised(valid: str) -> None:
    assert normalise_identity_code(valid) == valid.strip().upper()


@pytest.mark.parametrize("invalid", ["131052-308U", "311352-308T", "13105-2308T", "abc"])
def test_invalid_identity_codes_are_refused(invalid: str) -> None:
    with pytest.raises(InvalidIdentityCode):
        normalise_identity_code(invalid)
