"""The bodies enrolment's HTTP API accepts and returns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chassis.clean_text import CleanText
from contracts.events.enrolment import DiscontinuationReason, ErasureReason, PauseReason
from services.enrolment.application.queries import ListedPath, PathwayRead
from services.enrolment.domain.pathway import Pathway

FirstName = Annotated[
    str,
    CleanText(100, label="enrolment.field.first_name", min_length=1, single_line=True, strip=True),
]
LastName = Annotated[
    str,
    CleanText(100, label="enrolment.field.last_name", min_length=1, single_line=True, strip=True),
]
# Codes only: these values travel in events (and the municipality and cohort on the public
# topic), so they are registry codes, never typed text. See docs/decisions/0015.
StaffId = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@:-]*$")
]
MunicipalityCode = Annotated[
    str, StringConstraints(min_length=3, max_length=3, pattern=r"^[0-9]{3}$")
]
RegistryCode = Annotated[
    str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
]


class Suitability(BaseModel):
    """The four suitability criteria; the counselor confirms each one."""

    model_config = ConfigDict(extra="forbid")

    life_management: bool = Field(False, description="Riittävät elämänhallintataidot.")
    digital_skills: bool = Field(False, description="Auttavat digitaidot.")
    self_assessment_ability: bool = Field(False, description="Kykenee arvioimaan tilannettaan.")
    strong_identification: bool = Field(
        False, description="Mahdollisuus vahvaan tunnistautumiseen."
    )


class OpenPathwayRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "first_name": "Aino",
                    "last_name": "Virtanen",
                    "personal_identity_code": "010185-901E",
                    "municipality": "061",
                    "unit": "forssa-ktt",
                    "cohort": "2026-syksy",
                    "start_date": "2026-12-07",
                    "suitability": {
                        "life_management": True,
                        "digital_skills": True,
                        "self_assessment_ability": True,
                        "strong_identification": True,
                    },
                }
            ]
        },
    )

    first_name: FirstName = Field(description="The client's first name; kept only in the vault.")
    last_name: LastName = Field(description="The client's last name; kept only in the vault.")
    personal_identity_code: str = Field(min_length=11, max_length=11)
    municipality: MunicipalityCode = Field(
        description="Statistics Finland's municipality code, one of the tenant's "
        "(GET /registry/municipalities).",
        examples=["061"],
    )
    unit: RegistryCode = Field(description="A unit's code (GET /registry/units).")
    cohort: RegistryCode = Field(description="A cohort's code (GET /registry/cohorts).")
    start_date: date
    counselor_ids: list[StaffId] | None = Field(
        None, description="Counselors of the path; the caller when left out."
    )
    suitability: Suitability


class OpenedView(BaseModel):
    pathway_id: UUID
    client_ref: str


class PauseRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"paused_on": "2026-12-14", "until": "2027-01-06", "reason": "illness"}]
        },
    )

    paused_on: date | None = Field(None, description="First day of the pause; today if left out.")
    until: date | None = Field(None, description="Planned last day, if known.")
    reason: PauseReason | None = Field(None, description="Why the path waits, if you say.")


class ResumeRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"resumed_on": "2027-01-07"}]},
    )

    resumed_on: date | None = Field(None, description="The day it goes on; today if left out.")


class CompleteRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"completed_on": "2027-03-01"}]},
    )

    completed_on: date | None = Field(None, description="The day it was done; today if left out.")


class DiscontinueRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "employed", "discontinued_on": "2027-01-15"}]},
    )

    reason: DiscontinuationReason = Field(description="Why the path ends early.")
    discontinued_on: date | None = Field(None, description="The last day; today if left out.")


class AssignCounselorRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"counselor_id": "ohjaaja-demo"}]},
    )

    counselor_id: StaffId = Field(description="The counselor to add to the path.")
    replaces: StaffId | None = Field(None, description="A counselor of the path they replace.")


class ErasureRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "client_request"}]},
    )

    reason: ErasureReason = Field(
        description="Why the client's data is erased, as a code from the fixed list (no typed"
        " text: the record of the erasure must not lead back to the client).",
    )


class PathwayState(BaseModel):
    """A path as a command left it (the identity is read only through GET)."""

    pathway_id: UUID
    client_ref: str
    status: str
    start_date: date | None
    municipality: str
    unit: str
    cohort: str
    counselor_ids: list[str]
    version: int
    erased: bool = Field(description="The client's data was erased; no identity remains.")


class PathwayView(PathwayState):
    """A path with its client's identity, for the path's counselors and the tenant's admins."""

    first_name: str | None = Field(None, description="Null once the client is erased.")
    last_name: str | None = Field(None, description="Null once the client is erased.")
    personal_identity_code: str | None = Field(None, description="Null once erased.")


class ListedPathView(BaseModel):
    pathway_id: UUID
    client_ref: str
    status: str
    start_date: date | None
    municipality: str
    unit: str
    cohort: str
    counselor_ids: list[str]
    erased: bool
    first_name: str | None = None
    last_name: str | None = None


class PathwayListView(BaseModel):
    items: list[ListedPathView]
    next_after: UUID | None = Field(
        description="Pass as `after` for the next page; null on the last page."
    )


class ErasureView(BaseModel):
    client_ref: str
    erased_at: datetime
    pathway_ids: list[UUID] = Field(description="The paths on which the erasure was recorded.")


def state_view(pathway: Pathway) -> PathwayState:
    return PathwayState(
        pathway_id=pathway.pathway_id,
        client_ref=pathway.client_ref,
        status=pathway.status,
        start_date=pathway.start_date,
        municipality=pathway.municipality,
        unit=pathway.unit,
        cohort=pathway.cohort,
        counselor_ids=pathway.counselor_ids,
        version=pathway.version,
        erased=pathway.erased,
    )


def read_view(read: PathwayRead) -> PathwayView:
    identity = read.identity
    return PathwayView(
        **state_view(read.pathway).model_dump(),
        first_name=identity.first_name if identity else None,
        last_name=identity.last_name if identity else None,
        personal_identity_code=identity.personal_identity_code if identity else None,
    )


def listed_view(listed: ListedPath) -> ListedPathView:
    row, identity = listed.row, listed.identity
    return ListedPathView(
        pathway_id=row.pathway_id,
        client_ref=row.client_ref,
        status=row.status,
        start_date=row.start_date,
        municipality=row.municipality,
        unit=row.unit,
        cohort=row.cohort,
        counselor_ids=row.counselor_ids,
        erased=row.erased,
        first_name=identity.first_name if identity else None,
        last_name=identity.last_name if identity else None,
    )
