"""Events of the enrolment context: a path opened, managed and ended."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.events.base import EventModel

PATHWAY_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
CLIENT_REF = "c-5d41402abc4b2a76b9719d911017c592"

DiscontinuationReason = Literal[
    "employed",
    "studies",
    "work_trial",
    "other_service",
    "health",
    "moved",
    "no_contact",
    "own_request",
    "other",
]

# Why a path waits: a fixed list, never free text (events carry no free text).
PauseReason = Literal["illness", "family", "other_service", "holiday", "other"]

# Why an admin erased a client's data: a ground from a fixed list, never typed text, so the
# record of the erasure leads back to nobody (decision 0025). Not in any event (yet): shared
# here so that the pages that ask for it offer the same list enrolment accepts.
ErasureReason = Literal[
    "client_request",  # the client asked (the GDPR's right to erasure)
    "entered_in_error",  # the path was opened for the wrong person or by mistake
    "unlawful_processing",  # the data was processed without a lawful ground
    "retention_ended",  # the data's retention period has ended
    "other",
]


class SuitabilityConfirmation(BaseModel):
    """The four suitability criteria, each confirmed by the counselor on opening."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    life_management: Literal[True] = Field(
        description="Sufficient life-management skills (riittävät elämänhallintataidot)."
    )
    digital_skills: Literal[True] = Field(description="Basic digital skills (auttavat digitaidot).")
    self_assessment_ability: Literal[True] = Field(
        description="Can assess their own situation (kykenee arvioimaan omaa tilannettaan)."
    )
    strong_identification: Literal[True] = Field(
        description="Can use strong electronic identification (vahva tunnistautuminen)."
    )


class PathwayOpened(EventModel):
    """A counselor opened a 12-week path for a client."""

    schema_version: ClassVar[int] = 2
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "client_ref": CLIENT_REF,
                    "municipality": "061",
                    "unit": "ktt-forssa",
                    "cohort": "2026-syksy",
                    "start_date": "2026-11-30",
                    "counselor_ids": ["staff-3f2a"],
                    "suitability_confirmed": {
                        "life_management": True,
                        "digital_skills": True,
                        "self_assessment_ability": True,
                        "strong_identification": True,
                    },
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path; also the stream id and the Kafka key.")
    client_ref: str = Field(min_length=1, description="Pseudonymous reference to the client.")
    municipality: str = Field(
        min_length=1,
        description="The client's municipality, by its Statistics Finland code (e.g. 061);"
        " events recorded before the registries may hold a name.",
    )
    unit: str = Field(
        min_length=1, description="The guiding work-activity unit's code in the tenant's registry."
    )
    cohort: str = Field(
        description="The cohort's code in the tenant's registry (paths started together)."
    )
    start_date: date = Field(description="Week 1 opens on this date (Europe/Helsinki).")
    counselor_ids: list[str] = Field(min_length=1, description="Counselors of the path.")
    suitability_confirmed: SuitabilityConfirmation = Field(
        description="The four suitability criteria, all confirmed."
    )


class CounselorAssigned(EventModel):
    """A counselor was added to a path, possibly replacing another."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"pathway_id": PATHWAY_ID, "counselor_id": "staff-77b1", "replaces": "staff-3f2a"}
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    counselor_id: str = Field(min_length=1, description="The counselor now assigned.")
    replaces: str | None = Field(None, description="The counselor they replace, if any.")


class PathwayPaused(EventModel):
    """The path was paused; its schedule moves by the length of the pause."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "paused_on": "2026-12-07",
                    "until": "2026-12-21",
                    "reason": "illness",
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    paused_on: date = Field(description="First day of the pause.")
    until: date | None = Field(None, description="Planned last day of the pause, if known.")
    reason: PauseReason | None = Field(
        None, description="Why the path waits (from a fixed list), if the counselor said."
    )


class PathwayResumed(EventModel):
    """A paused path goes on."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"pathway_id": PATHWAY_ID, "resumed_on": "2026-12-21"}]}
    )

    pathway_id: UUID = Field(description="The path.")
    resumed_on: date = Field(description="The day the path went on.")


class PathwayCompleted(EventModel):
    """The client completed the path."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"pathway_id": PATHWAY_ID, "completed_on": "2027-02-22"}]}
    )

    pathway_id: UUID = Field(description="The path.")
    completed_on: date = Field(description="The day the path was completed.")


class PathwayDiscontinued(EventModel):
    """The path ended before completion."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"pathway_id": PATHWAY_ID, "discontinued_on": "2027-01-11", "reason": "employed"}
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    discontinued_on: date = Field(description="The day the path ended.")
    reason: DiscontinuationReason = Field(description="Why it ended (from a fixed list).")


class ClientDataErased(EventModel):
    """A client's identity and free text were erased from every service."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "client_ref": CLIENT_REF,
                    "erased_at": "2027-03-01T10:00:00+02:00",
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path whose client was erased.")
    client_ref: str = Field(min_length=1, description="Pseudonymous reference to the client.")
    erased_at: AwareDatetime = Field(description="When the erasure was ordered.")
