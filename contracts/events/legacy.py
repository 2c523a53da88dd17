"""Earlier versions of events, kept so that old events stay readable and their schemas
exportable. Never used for writing."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import ConfigDict, Field

from contracts.events.base import EventModel
from contracts.events.enrolment import CLIENT_REF, PATHWAY_ID, SuitabilityConfirmation


class PathwayOpenedV1(EventModel):
    """PathwayOpened as first written: one counselor, no cohort."""

    event_type: ClassVar[str] = "PathwayOpened"
    schema_version: ClassVar[int] = 1
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "client_ref": CLIENT_REF,
                    "municipality": "Forssa",
                    "unit": "Kuntouttava työtoiminta Forssa",
                    "start_date": "2026-11-30",
                    "counselor_id": "staff-3f2a",
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

    pathway_id: UUID = Field(description="The path.")
    client_ref: str = Field(min_length=1, description="Pseudonymous reference to the client.")
    municipality: str = Field(min_length=1, description="The client's municipality.")
    unit: str = Field(min_length=1, description="The work-activity unit.")
    start_date: date = Field(description="Week 1 opens on this date.")
    counselor_id: str = Field(min_length=1, description="The one counselor of the path.")
    suitability_confirmed: SuitabilityConfirmation = Field(
        description="The four suitability criteria, all confirmed."
    )
