"""The envelope every Digipolku event travels in, in the store and on Kafka.

The envelope is the same for every event; `payload` holds the event's own fields, which are
validated against the model registered for `event_type` and `schema_version`
(see `contracts.registry`). Unknown fields and naive datetimes are refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from uuid6 import uuid7

Role = Literal["client", "counselor", "manager", "admin", "system"]


class Actor(BaseModel):
    """Who caused the event: a role and a pseudonymous id (never a name or identity code)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role = Field(description="The role the actor acted in.")
    id: str = Field(
        min_length=1,
        max_length=200,
        description="Pseudonymous id of the actor: a client_ref, a staff subject or a service.",
    )


class EventEnvelope(BaseModel):
    """One stored or published event.

    Kafka key is `stream_id`: every stream in Digipolku is keyed by the pathway id, so one
    path's events stay in order on one partition.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "event_id": "01935d5e-8c7a-7c3e-9d1b-3f0e2a9b6c11",
                    "event_type": "PathwayOpened",
                    "schema_version": 2,
                    "stream_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                    "stream_version": 1,
                    "occurred_at": "2026-11-24T08:00:00+02:00",
                    "tenant": "kanta-hame",
                    "correlation_id": "7d444840-9dc0-11d1-b245-5ffdce74fad2",
                    "causation_id": None,
                    "actor": {"role": "counselor", "id": "staff-3f2a"},
                    "payload": {"pathway_id": "0f8fad5b-d9cb-469f-a165-70867728950e"},
                }
            ]
        },
    )

    event_id: UUID = Field(
        default_factory=uuid7, description="Unique id of the event; UUIDv7, so time-ordered."
    )
    event_type: str = Field(min_length=1, description="Name of the event, e.g. PathwayOpened.")
    schema_version: int = Field(ge=1, description="Version of the payload schema.")
    stream_id: str = Field(
        min_length=1, description="The aggregate stream; in Digipolku always the pathway id."
    )
    stream_version: int = Field(ge=1, description="Position of the event within its stream.")
    occurred_at: AwareDatetime = Field(description="When the event happened (with time zone).")
    tenant: str = Field(min_length=1, description="Wellbeing services county (hyvinvointialue).")
    correlation_id: UUID = Field(description="Id of the request that started the whole flow.")
    causation_id: UUID | None = Field(
        default=None, description="Id of the event or command that directly caused this one."
    )
    actor: Actor = Field(description="Who caused the event.")
    payload: dict[str, Any] = Field(description="The event's own fields (see its schema).")


def utc_now() -> datetime:
    """The current time as an aware UTC datetime (what `occurred_at` needs)."""
    return datetime.now(UTC)
