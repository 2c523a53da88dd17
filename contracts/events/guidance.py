"""Events of the guidance context: meetings, feedback and outcomes."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, ConfigDict, Field

from contracts.events.base import EventModel
from contracts.events.enrolment import CLIENT_REF, PATHWAY_ID
from contracts.events.tasks import ANSWER_ID

MEETING_ID = "01935d5f-0000-7a00-9000-00000000beef"


class GuidanceMeetingRequested(EventModel):
    """The client or the counselor asked for a guidance meeting."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "meeting_id": MEETING_ID,
                    "requested_by": "client",
                    "task_id": "w02-t2",
                    "requested_at": "2026-12-08T09:00:00+02:00",
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    meeting_id: UUID = Field(description="The meeting.")
    requested_by: Literal["client", "counselor"] = Field(description="Who asked for it.")
    task_id: str | None = Field(None, description="The task it is about, if any.")
    requested_at: AwareDatetime = Field(description="When it was asked for.")


class GuidanceMeetingScheduled(EventModel):
    """A guidance meeting got a time and a form."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "meeting_id": MEETING_ID,
                    "starts_at": "2026-12-10T13:00:00+02:00",
                    "mode": "in_person",
                    "task_ids": ["w02-t2"],
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    meeting_id: UUID = Field(description="The meeting.")
    starts_at: AwareDatetime = Field(description="When it starts.")
    mode: Literal["in_person", "phone", "video"] = Field(description="Where or how.")
    task_ids: list[str] = Field(description="Meeting-required tasks it covers.")


class GuidanceMeetingHeld(EventModel):
    """The meeting was held; meeting-required tasks it covers can complete."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "meeting_id": MEETING_ID,
                    "held_at": "2026-12-10T13:00:00+02:00",
                    "task_ids": ["w02-t2"],
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    meeting_id: UUID = Field(description="The meeting.")
    held_at: AwareDatetime = Field(description="When it was held.")
    task_ids: list[str] = Field(description="Meeting-required tasks it covered.")


class GuidanceMeetingMissed(EventModel):
    """The client did not come to the meeting."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "meeting_id": MEETING_ID,
                    "missed_at": "2026-12-10T13:00:00+02:00",
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    meeting_id: UUID = Field(description="The meeting.")
    missed_at: AwareDatetime = Field(description="When it was to be held.")


class FeedbackGiven(EventModel):
    """The counselor gave feedback on an answer (its text is kept erasably by guidance)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "client_ref": CLIENT_REF,
                    "answer_id": ANSWER_ID,
                    "feedback_id": "01935d60-1111-7b00-8000-000000000001",
                    "counselor_id": "staff-3f2a",
                    "given_at": "2026-12-02T10:00:00+02:00",
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    client_ref: str = Field(min_length=1, description="Pseudonymous reference to the client.")
    answer_id: UUID = Field(description="The answer the feedback is on.")
    feedback_id: UUID = Field(description="The feedback.")
    counselor_id: str = Field(min_length=1, description="Who gave it.")
    given_at: AwareDatetime = Field(description="When.")


class OutcomeRecorded(EventModel):
    """What happened after the path: at its end, and in follow-ups at 3 and 6 months."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "client_ref": CLIENT_REF,
                    "follow_up": "3m",
                    "outcome": "work_trial",
                    "outcome_date": "2027-04-01",
                    "recorded_at": "2027-05-20T10:00:00+03:00",
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path.")
    client_ref: str = Field(min_length=1, description="Pseudonymous reference to the client.")
    follow_up: Literal["end", "3m", "6m"] = Field(description="Which follow-up.")
    outcome: Literal["employed", "work_trial", "studies", "other_service", "none"] = Field(
        description="Employed, work trial, studies, another service, or none yet."
    )
    outcome_date: date = Field(description="When the outcome began.")
    recorded_at: AwareDatetime = Field(description="When it was recorded.")


class MessageWaiting(EventModel):
    """A message waits in the path's thread for its reader: the client's for the counselors, or
    a counselor's for the client. It carries no text: the words stay in guidance's database,
    erasable, and never travel on Kafka (decision 0041)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pathway_id": PATHWAY_ID,
                    "entry_id": "01935d61-2222-7c00-8000-000000000001",
                    "from_role": "counselor",
                }
            ]
        }
    )

    pathway_id: UUID = Field(description="The path whose thread it is in.")
    # Not "message_id": no event field may be named like free text (contracts/tests).
    entry_id: UUID = Field(description="The thread entry (its text is in no event).")
    from_role: Literal["client", "counselor"] = Field(
        description="Who wrote it: the client (it waits for the counselors) or a counselor"
        " (it waits for the client)."
    )
