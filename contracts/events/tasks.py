"""Events of the tasks context: the client's plan, answers, direction and self-assessments."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, ConfigDict, Field

from contracts.events.base import EventModel
from contracts.events.enrolment import CLIENT_REF, PATHWAY_ID

Direction = Literal["work", "education"]
Week = Annotated[int, Field(ge=1, le=12)]
Score = Annotated[int, Field(ge=0, le=3)]
ANSWER_ID = "01935d5e-9b1c-7e55-8a11-6b6f1e2c3d4e"


class PlanStarted(EventModel):
    """The client's plan was made for a newly opened path."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "client_ref": CLIENT_REF,
                    "curriculum_version": "1",
                    "start_date": "2026-11-30",
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    client_ref: str = Field(min_length=1, description="Pseudonymous reference to the client.")
    curriculum_version: str = Field(min_length=1, description="Curriculum the path keeps.")
    start_date: date = Field(description="Week 1 opens on this date.")


class WeekOpened(EventModel):
    """A week of the path opened (by the calendar, or early by the counselor)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "client_ref": CLIENT_REF,
                    "week": 2,
                    "opened_on": "2026-12-07",
                    "early": False,
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    client_ref: str = Field(min_length=1, description="Pseudonymous reference to the client.")
    week: Week = Field(description="The week that opened, 1–12.")
    opened_on: date = Field(description="The day it opened (Europe/Helsinki).")
    early: bool = Field(description="True when the counselor opened it ahead of the calendar.")


class TaskAnswered(EventModel):
    """The client answered a task, or said they could not do it and need help."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "client_ref": CLIENT_REF,
                    "task_id": "w01-t1",
                    "week": 1,
                    "answer_id": ANSWER_ID,
                    "answer_length": 212,
                    "kind": "answer",
                    "late": False,
                    "answered_at": "2026-12-01T18:30:00+02:00",
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    client_ref: str = Field(min_length=1, description="Pseudonymous reference to the client.")
    task_id: str = Field(min_length=1, description="The task in the path's curriculum.")
    week: Week = Field(description="The week the task belongs to.")
    answer_id: UUID = Field(description="The answer; its text is kept erasably by tasks.")
    answer_length: int = Field(ge=0, description="Length of the answer text in characters.")
    kind: Literal["answer", "needs_help"] = Field(
        description="'needs_help': the client could not do it and asks for guidance."
    )
    late: bool = Field(description="Answered after the following week had opened.")
    answered_at: AwareDatetime = Field(description="When the answer was submitted.")


class TaskCompleted(EventModel):
    """A task is complete (answered, and its guidance meeting held where one is required)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"pathway_id": PATHWAY_ID, "client_ref": CLIENT_REF, "task_id": "w01-t1", "week": 1}
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    client_ref: str = Field(min_length=1, description="Pseudonymous reference to the client.")
    task_id: str = Field(min_length=1, description="The task.")
    week: Week = Field(description="The week the task belongs to.")


class DirectionChosen(EventModel):
    """In week 5 the client chose work or education; later tasks follow it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "client_ref": CLIENT_REF,
                    "direction": "work",
                    "week": 5,
                    "chosen_at": "2026-12-29T12:00:00+02:00",
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    client_ref: str = Field(min_length=1, description="Pseudonymous reference to the client.")
    direction: Direction = Field(description="Work (työelämä) or education (koulutus).")
    week: Week = Field(description="The week of the choice (5).")
    chosen_at: AwareDatetime = Field(description="When the choice was made.")


class DirectionChanged(EventModel):
    """The direction was changed later, agreed with the counselor."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "client_ref": CLIENT_REF,
                    "from_direction": "work",
                    "to_direction": "education",
                    "changed_at": "2027-01-12T09:00:00+02:00",
                    "agreed_with_counselor_id": "staff-3f2a",
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    client_ref: str = Field(min_length=1, description="Pseudonymous reference to the client.")
    from_direction: Direction = Field(description="The direction before.")
    to_direction: Direction = Field(description="The direction now.")
    changed_at: AwareDatetime = Field(description="When it changed.")
    agreed_with_counselor_id: str = Field(min_length=1, description="The counselor who agreed.")


class SelfAssessmentSubmitted(EventModel):
    """The client answered a self-assessment questionnaire at the start or the end."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "client_ref": CLIENT_REF,
                    "instrument_id": "digipolku-urataidot",
                    "instrument_version": "1",
                    "phase": "baseline",
                    "scores": {"itsetuntemus-1": 2},
                    "submitted_at": "2026-11-30T10:00:00+02:00",
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    client_ref: str = Field(min_length=1, description="Pseudonymous reference to the client.")
    instrument_id: str = Field(min_length=1, description="The questionnaire.")
    instrument_version: str = Field(min_length=1, description="Its version.")
    phase: Literal["baseline", "final"] = Field(description="At the start or at the end.")
    scores: dict[str, Score] = Field(description="Item id → 0 not at all … 3 fully.")
    submitted_at: AwareDatetime = Field(description="When it was submitted.")
