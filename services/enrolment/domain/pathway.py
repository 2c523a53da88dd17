"""The Pathway aggregate: a client's 12-week path, from opening to its end.

Decisions are plain functions of the current state and the command; they return the events
to record. `Pathway.apply` folds events into state. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal
from uuid import UUID

from chassis.errors import Conflict, DomainError, NotFound
from contracts.events.base import EventModel
from contracts.events.enrolment import (
    CounselorAssigned,
    PathwayCompleted,
    PathwayDiscontinued,
    PathwayOpened,
    PathwayPaused,
    PathwayResumed,
    SuitabilityConfirmation,
)

Status = Literal["not_opened", "active", "paused", "completed", "discontinued"]
SUITABILITY_CRITERIA = (
    "life_management",
    "digital_skills",
    "self_assessment_ability",
    "strong_identification",
)
# A path may start a little in the past (entered late), never further.
MAX_START_IN_PAST = timedelta(days=7)


class SuitabilityNotConfirmed(DomainError):
    def __init__(self, missing: list[str]) -> None:
        super().__init__("enrolment.suitability_not_confirmed", missing=missing)
        self.missing = missing


@dataclass
class Pathway:
    pathway_id: UUID
    version: int = 0
    status: Status = "not_opened"
    tenant: str = ""
    client_ref: str = ""
    start_date: date | None = None
    counselor_ids: list[str] = field(default_factory=list)
    paused_on: date | None = None

    @classmethod
    def from_history(
        cls, pathway_id: UUID, version: int, tenant: str, events: Iterable[EventModel]
    ) -> Pathway:
        pathway = cls(pathway_id, tenant=tenant)
        for event in events:
            pathway.apply(event)
        pathway.version = version
        return pathway

    def apply(self, event: EventModel) -> None:
        match event:
            case PathwayOpened():
                self.status = "active"
                self.client_ref = event.client_ref
                self.start_date = event.start_date
                self.counselor_ids = list(event.counselor_ids)
            case CounselorAssigned():
                if event.replaces in self.counselor_ids:
                    self.counselor_ids.remove(event.replaces)
                if event.counselor_id not in self.counselor_ids:
                    self.counselor_ids.append(event.counselor_id)
            case PathwayPaused():
                self.status = "paused"
                self.paused_on = event.paused_on
            case PathwayResumed():
                self.status = "active"
                self.paused_on = None
            case PathwayCompleted():
                self.status = "completed"
            case PathwayDiscontinued():
                self.status = "discontinued"
        self.version += 1

    def require_exists(self) -> None:
        if self.status == "not_opened":
            raise NotFound("error.not_found")


@dataclass(frozen=True)
class OpenPathway:
    pathway_id: UUID
    client_ref: str
    municipality: str
    unit: str
    cohort: str
    start_date: date
    counselor_ids: list[str]
    suitability: dict[str, bool]


def open_pathway(command: OpenPathway, today: date) -> list[EventModel]:
    missing = [name for name in SUITABILITY_CRITERIA if not command.suitability.get(name)]
    if missing:
        raise SuitabilityNotConfirmed([f"enrolment.criterion.{name}" for name in missing])
    if command.start_date < today - MAX_START_IN_PAST:
        raise DomainError("enrolment.start_date_too_early", days=MAX_START_IN_PAST.days)
    if not command.counselor_ids:
        raise DomainError("enrolment.counselor_required")
    return [
        PathwayOpened(
            pathway_id=command.pathway_id,
            client_ref=command.client_ref,
            municipality=command.municipality,
            unit=command.unit,
            cohort=command.cohort,
            start_date=command.start_date,
            counselor_ids=command.counselor_ids,
            suitability_confirmed=SuitabilityConfirmation(
                life_management=True,
                digital_skills=True,
                self_assessment_ability=True,
                strong_identification=True,
            ),
        )
    ]


def assign_counselor(pathway: Pathway, counselor_id: str, replaces: str | None) -> list[EventModel]:
    pathway.require_exists()
    if pathway.status in ("completed", "discontinued"):
        raise Conflict("enrolment.pathway_closed")
    if counselor_id in pathway.counselor_ids and replaces is None:
        return []
    return [
        CounselorAssigned(
            pathway_id=pathway.pathway_id, counselor_id=counselor_id, replaces=replaces
        )
    ]


# A pause or resume may be recorded a few days late, like a start date.
MAX_BACKDATE = timedelta(days=7)


def _check_recorded_day(day: date, today: date) -> None:
    if day > today:
        raise DomainError("enrolment.date_in_future")
    if day < today - MAX_BACKDATE:
        raise DomainError("enrolment.date_too_early", days=MAX_BACKDATE.days)


def pause_pathway(
    pathway: Pathway, paused_on: date, until: date | None, today: date
) -> list[EventModel]:
    """Pause an active path; the client's coming weeks wait until it resumes."""
    pathway.require_exists()
    if pathway.status == "paused":
        raise Conflict("enrolment.already_paused")
    if pathway.status != "active":
        raise Conflict("enrolment.pathway_closed")
    _check_recorded_day(paused_on, today)
    if pathway.start_date is not None and paused_on < pathway.start_date:
        raise DomainError("enrolment.pause_before_start")
    if until is not None and until < paused_on:
        raise DomainError("enrolment.pause_ends_before_it_begins")
    return [PathwayPaused(pathway_id=pathway.pathway_id, paused_on=paused_on, until=until)]


def resume_pathway(pathway: Pathway, resumed_on: date, today: date) -> list[EventModel]:
    pathway.require_exists()
    if pathway.status != "paused":
        raise Conflict("enrolment.not_paused")
    _check_recorded_day(resumed_on, today)
    assert pathway.paused_on is not None
    if resumed_on < pathway.paused_on:
        raise DomainError("enrolment.pause_ends_before_it_begins")
    return [PathwayResumed(pathway_id=pathway.pathway_id, resumed_on=resumed_on)]
