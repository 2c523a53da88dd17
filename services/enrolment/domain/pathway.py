"""The Pathway aggregate: a client's 12-week path, from opening to its end.

Decisions are plain functions of the current state and the command; they return the events
to record. `Pathway.apply` folds events into state. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal
from uuid import UUID

from chassis.errors import Conflict, DomainError, NotFound
from contracts.events.base import EventModel
from contracts.events.enrolment import (
    ClientDataErased,
    CounselorAssigned,
    DiscontinuationReason,
    PathwayCompleted,
    PathwayDiscontinued,
    PathwayOpened,
    PathwayPaused,
    PathwayResumed,
    PauseReason,
    SuitabilityConfirmation,
)

Status = Literal["not_opened", "active", "paused", "completed", "discontinued"]
OPEN_STATUSES: tuple[Status, ...] = ("active", "paused")
# An open path erased on the client's behalf ends as discontinued for this reason, so every
# consumer closes it the way it closes any other discontinued path.
ERASURE_DISCONTINUATION: DiscontinuationReason = "other"
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
    municipality: str = ""
    unit: str = ""
    cohort: str = ""
    counselor_ids: list[str] = field(default_factory=list)
    paused_on: date | None = None
    # Set by ClientDataErased: the client's identity is gone for good from this path.
    erased: bool = False

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
                self.municipality = event.municipality
                self.unit = event.unit
                self.cohort = event.cohort
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
                self.paused_on = None
            case ClientDataErased():
                self.erased = True
        self.version += 1

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def require_exists(self) -> None:
        if self.status == "not_opened":
            raise NotFound("error.not_found")

    def require_open(self) -> None:
        """A path that has ended is a record: nothing about it changes any more."""
        self.require_exists()
        if not self.is_open:
            raise Conflict("enrolment.pathway_closed")


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


@dataclass(frozen=True)
class PathOpening:
    """What the counselor asks for when opening a path; the client's reference is not theirs
    to give: the vault finds or mints it (decision 0025)."""

    pathway_id: UUID
    municipality: str
    unit: str
    cohort: str
    start_date: date
    counselor_ids: list[str]
    suitability: dict[str, bool]

    def for_client(self, client_ref: str) -> OpenPathway:
        return OpenPathway(
            pathway_id=self.pathway_id,
            client_ref=client_ref,
            municipality=self.municipality,
            unit=self.unit,
            cohort=self.cohort,
            start_date=self.start_date,
            counselor_ids=self.counselor_ids,
            suitability=self.suitability,
        )


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
    """Add a counselor to an open path, or put them in another's place."""
    pathway.require_open()
    if replaces is not None and replaces not in pathway.counselor_ids:
        raise Conflict("enrolment.replaced_counselor_not_assigned")
    if counselor_id in pathway.counselor_ids and replaces in (None, counselor_id):
        return []  # already there: nothing happened
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
    pathway: Pathway,
    paused_on: date,
    until: date | None,
    today: date,
    reason: PauseReason | None = None,
) -> list[EventModel]:
    """Pause an active path; the client's coming weeks wait until it resumes."""
    pathway.require_open()
    if pathway.status == "paused":
        raise Conflict("enrolment.already_paused")
    _check_recorded_day(paused_on, today)
    if pathway.start_date is not None and paused_on < pathway.start_date:
        raise DomainError("enrolment.pause_before_start")
    if until is not None and until < paused_on:
        raise DomainError("enrolment.pause_ends_before_it_begins")
    return [
        PathwayPaused(
            pathway_id=pathway.pathway_id, paused_on=paused_on, until=until, reason=reason
        )
    ]


def resume_pathway(pathway: Pathway, resumed_on: date, today: date) -> list[EventModel]:
    pathway.require_open()
    if pathway.status != "paused":
        raise Conflict("enrolment.not_paused")
    _check_recorded_day(resumed_on, today)
    assert pathway.paused_on is not None
    if resumed_on < pathway.paused_on:
        raise DomainError("enrolment.pause_ends_before_it_begins")
    return [PathwayResumed(pathway_id=pathway.pathway_id, resumed_on=resumed_on)]


def complete_pathway(pathway: Pathway, completed_on: date, today: date) -> list[EventModel]:
    """The client went through the path. Only a running path completes; a paused one
    resumes first, so that the pause has an end on record."""
    pathway.require_open()
    if pathway.status != "active":
        raise Conflict("enrolment.complete_needs_active")
    _check_recorded_day(completed_on, today)
    if pathway.start_date is not None and completed_on < pathway.start_date:
        raise DomainError("enrolment.end_before_start")
    return [PathwayCompleted(pathway_id=pathway.pathway_id, completed_on=completed_on)]


def discontinue_pathway(
    pathway: Pathway, reason: DiscontinuationReason, discontinued_on: date, today: date
) -> list[EventModel]:
    """The path ends early, running or paused, for a reason from the fixed list."""
    pathway.require_open()
    _check_recorded_day(discontinued_on, today)
    start = pathway.start_date
    # A path that has not started yet may end before its start (the client found work
    # first); one that has started cannot end before it began.
    if start is not None and start <= today and discontinued_on < start:
        raise DomainError("enrolment.end_before_start")
    if pathway.paused_on is not None and discontinued_on < pathway.paused_on:
        raise DomainError("enrolment.end_before_pause")
    return [
        PathwayDiscontinued(
            pathway_id=pathway.pathway_id, discontinued_on=discontinued_on, reason=reason
        )
    ]


def erase_client_data(pathway: Pathway, erased_at: datetime, today: date) -> list[EventModel]:
    """Record that the client's identity and free text are erased from this path.

    An open path ends first (discontinued), since nobody can guide a client the system no
    longer knows. A path already erased needs nothing more.
    """
    pathway.require_exists()
    if pathway.erased:
        return []
    events: list[EventModel] = []
    if pathway.is_open:
        events.append(
            PathwayDiscontinued(
                pathway_id=pathway.pathway_id,
                discontinued_on=today,
                reason=ERASURE_DISCONTINUATION,
            )
        )
    events.append(
        ClientDataErased(
            pathway_id=pathway.pathway_id, client_ref=pathway.client_ref, erased_at=erased_at
        )
    )
    return events
