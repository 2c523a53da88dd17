"""Public events: what other wellbeing areas' systems may subscribe to, per tenant.

Minimised on purpose: no client_ref, no identity, no free text, and not even the internal path
id. A path is named by `path_ref`, a keyed hash of the path id that is stable within a tenant
and cannot be turned back into the id. Each event's id is derived from the internal event it
stands for, so a subscriber drops a redelivered one by its id.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

PublicEventType = Literal[
    "path_opened",
    "week_opened",
    "direction_chosen",
    "direction_changed",
    "path_completed",
    "path_discontinued",
    "outcome_recorded",
]


class PublicPathEvent(BaseModel):
    """One step of a path, as the public may know it."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "event_id": "5b0c3e0a-8c1f-5d7e-9a51-2f7d1c0e4b11",
                    "event_type": "week_opened",
                    "occurred_at": "2026-12-07T00:05:00+02:00",
                    "tenant": "kanta-hame",
                    "path_ref": "3f9a1c7e22b04d15",
                    "municipality": "061",
                    "cohort": "2026-syksy",
                    "week": 2,
                }
            ]
        },
    )

    event_id: UUID = Field(description="Stable for redeliveries: drop one you have seen.")
    event_type: PublicEventType = Field(description="Which step of the path.")
    occurred_at: AwareDatetime = Field(description="When it happened.")
    tenant: str = Field(description="The wellbeing area (the topic is per tenant too).")
    path_ref: str = Field(
        min_length=16, max_length=16, description="The path, pseudonymous and stable."
    )
    municipality: str | None = Field(
        None, description="The path's municipality, by its Statistics Finland code."
    )
    cohort: str | None = Field(None, description="The path's cohort, by its registry code.")
    week: int | None = Field(None, ge=1, le=12, description="week_opened: the week, 1–12.")
    direction: Literal["work", "education"] | None = Field(
        None, description="direction_chosen / direction_changed: the direction now."
    )
    reason: str | None = Field(
        None, description="path_discontinued: the reason code from the fixed list."
    )
    follow_up: Literal["end", "3m", "6m"] | None = Field(
        None, description="outcome_recorded: which follow-up."
    )
    outcome: Literal["employed", "work_trial", "studies", "other_service", "none"] | None = Field(
        None, description="outcome_recorded: the outcome."
    )
    on: date | None = Field(None, description="The day the step took effect, when it has one.")
