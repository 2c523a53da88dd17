"""What leaves the platform (decision 0032): aggregates for everyone, reminders for the tenant.

- `MonthlyStatistics`, on `digipolku.public.<tenant>.statistics`: a tenant's figures for the
  paths opened in one calendar month, under the same disclosure control as the dashboard (the
  cell-key method, decision 0031). Every wellbeing area and national statistics may read them.
- `TenantPathEvent`, on `digipolku.tenant.<tenant>.paths`: the per-path events the tenant's own
  systems need for reminders (a week opened, the path ended, its client erased), with nothing
  else: no place, no reasons, no scores, no outcomes, no times of day. Only that tenant may
  read them. A `message_waiting` (decision 0041) says only that a counselor's message waits
  for the client, never what it says. The path is `path_ref` and the event `event_id`, both
  keyed hashes, so neither can be joined to an internal event or path without the tenant's
  reference key.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

TenantEventType = Literal["week_opened", "path_ended", "path_forgotten", "message_waiting"]
FollowUp = Literal["end", "3m", "6m"]
Outcome = Literal["employed", "work_trial", "studies", "other_service", "none"]
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class _Public(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PublicFigure(_Public):
    """One published number: `value`, or null with `suppressed` when its base is too small
    (null and not suppressed: nothing to compute yet)."""

    value: int | float | None
    suppressed: bool


class StatisticsNoise(_Public):
    """What the perturbation does to a count: `typical_share` of counts move by at most
    `typical_deviation`, none by more than `max_deviation`; the same group always by the same."""

    typical_deviation: int
    typical_share: float
    max_deviation: int


class PathSteps(_Public):
    """The month's paths by the furthest step taken (each counts those who got that far)."""

    opened: PublicFigure
    started: PublicFigure = Field(description="Answered at least one task.")
    reached_week_5: PublicFigure
    direction_chosen: PublicFigure
    completed: PublicFigure


class PathStatus(_Public):
    active: PublicFigure = Field(description="Running or paused now.")
    completed: PublicFigure
    discontinued: PublicFigure
    discontinued_by_reason: dict[str, PublicFigure] = Field(
        description="Reason code (the fixed list) → paths discontinued for it."
    )


class Directions(_Public):
    """The direction now of the paths that got to a direction."""

    work: PublicFigure
    education: PublicFigure
    changed: PublicFigure = Field(description="Paths whose direction changed at least once.")


class FollowUpStatistics(_Public):
    followed_up: PublicFigure = Field(description="Ended paths with this follow-up recorded.")
    not_followed_up: PublicFigure
    shares: dict[Outcome, PublicFigure] = Field(description="Share of those followed up, 0–1.")


class MonthlyStatistics(_Public):
    """A tenant's figures for the paths opened in one month. Figures change as those paths go
    on (outcomes come up to six months after the end), so a month is published again when its
    figures change; the highest revision of a month (its message key is `<tenant>:<month>`) is
    the one that counts."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tenant": "kanta-hame",
                    "month": "2026-09",
                    "revision": 4,
                    "min_base": 5,
                    "noise": {"typical_deviation": 2, "typical_share": 0.96, "max_deviation": 5},
                    "steps": {
                        "opened": {"value": 31, "suppressed": False},
                        "started": {"value": 29, "suppressed": False},
                        "reached_week_5": {"value": 24, "suppressed": False},
                        "direction_chosen": {"value": 22, "suppressed": False},
                        "completed": {"value": 17, "suppressed": False},
                    },
                    "status": {
                        "active": {"value": 4, "suppressed": False},
                        "completed": {"value": 17, "suppressed": False},
                        "discontinued": {"value": 9, "suppressed": False},
                        "discontinued_by_reason": {"health": {"value": 3, "suppressed": False}},
                    },
                    "directions": {
                        "work": {"value": 12, "suppressed": False},
                        "education": {"value": 10, "suppressed": False},
                        "changed": {"value": 2, "suppressed": False},
                    },
                    "on_time_share": {"value": 0.81, "suppressed": False},
                    "outcomes": {
                        "end": {
                            "followed_up": {"value": 16, "suppressed": False},
                            "not_followed_up": {"value": 1, "suppressed": False},
                            "shares": {"employed": {"value": 0.25, "suppressed": False}},
                        }
                    },
                }
            ]
        }
    )

    tenant: str = Field(description="The wellbeing area.")
    month: str = Field(pattern=MONTH_PATTERN, description="Paths opened in this month.")
    revision: int = Field(
        ge=1,
        description="Counts up each time the month's figures change: keep the highest of a"
        " month (a redelivery repeats one you have).",
    )
    min_base: int = Field(description="Shares on fewer (published) paths are not shown.")
    noise: StatisticsNoise
    steps: PathSteps
    status: PathStatus
    directions: Directions
    on_time_share: PublicFigure = Field(description="Written answers given on time, 0–1.")
    outcomes: dict[FollowUp, FollowUpStatistics]


class TenantPathEvent(_Public):
    """A path event for the tenant's own systems (reminders): nothing but what that needs."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "0c5e2a7b-1f3d-4e6a-9b8c-7d2f1e0a3b5c",
                    "event_type": "week_opened",
                    "tenant": "kanta-hame",
                    "path_ref": "3f9a1c7e22b04d15",
                    "week": 2,
                    "on": "2026-12-07",
                }
            ]
        }
    )

    event_id: UUID = Field(description="Stable for redeliveries: drop one you have seen.")
    event_type: TenantEventType = Field(
        description="week_opened: remind of the week; path_ended: stop reminding;"
        " path_forgotten: the client was erased, delete what you hold on this path;"
        " message_waiting: a counselor wrote to the client (read it in Digipolku; no text"
        " travels here)."
    )
    tenant: str = Field(description="The wellbeing area (the topic is per tenant too).")
    path_ref: str = Field(
        min_length=16, max_length=16, description="The path, pseudonymous and stable."
    )
    week: int | None = Field(None, ge=1, le=12, description="week_opened: the week, 1–12.")
    on: date | None = Field(None, description="The day it took effect (none when forgotten).")
