"""The figures reporting publishes: every number a `Figure`, perturbed by the cell-key method
(decision 0031)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from services.reporting.domain.published import Figure, Noise


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Funnel(_Model):
    """Paths by the furthest step taken: each step counts those who got at least that far."""

    opened: Figure
    started: Figure = Field(description="Answered at least one task (or got further).")
    reached_week_5: Figure = Field(description="Week 5 opened while the path ran (or further).")
    direction_chosen: Figure = Field(description="Chose work or education (or completed).")
    completed: Figure


class Status(_Model):
    """Where the paths are now: running (or paused), or ended by completion or discontinuation."""

    active: Figure
    ended: Figure
    completed: Figure
    discontinued: Figure


class DropOffWeek(_Model):
    week: int = Field(description="The latest week opened when the path was discontinued.")
    discontinued: Figure


class Discontinued(_Model):
    by_reason: dict[str, Figure]
    by_week: list[DropOffWeek] = Field(description="Week 0: before the first week opened.")


class Adherence(_Model):
    """Shares of written answers given on time and late (after the next week had opened)."""

    on_time_share: Figure
    late_share: Figure


class WeekAdherence(Adherence):
    week: int


class AdherenceFigures(_Model):
    overall: Adherence
    by_week: list[WeekAdherence]


class Duration(_Model):
    median_days: Figure
    mean_days: Figure


class TimeFigures(_Model):
    to_direction: Duration = Field(description="Days from the start date to the first choice.")
    to_completion: Duration = Field(description="Days from the start date to completion.")


class DirectionFigures(_Model):
    """The direction now of the paths that got to a direction (a split of that funnel step)."""

    work: Figure
    education: Figure
    not_recorded: Figure = Field(description="Completed without a recorded direction.")
    clients_changed: Figure = Field(description="Paths whose direction changed at least once.")
    changes: Figure = Field(description="Changes of direction in all.")


class MeetingFigures(_Model):
    total: Figure
    mean_per_client: Figure = Field(description="The total over the paths opened.")


class GuidanceFigures(_Model):
    requested: MeetingFigures
    held: MeetingFigures
    missed: MeetingFigures


class FollowUpFigures(_Model):
    followed_up: Figure = Field(description="Ended paths with this follow-up recorded.")
    not_followed_up: Figure = Field(description="Ended paths without it yet.")
    shares: dict[str, Figure] = Field(description="Outcome → share of those followed up.")


class AreaChange(_Model):
    area_id: str
    title: dict[str, str]
    baseline_mean: Figure
    final_mean: Figure
    mean_change: Figure = Field(description="Mean of (final − baseline) of the area's mean.")
    ci_low: Figure = Field(description="95 % confidence interval of the mean change (t).")
    ci_high: Figure
    improved_share: Figure = Field(description="Share whose area mean rose.")


class InstrumentChange(_Model):
    instrument_id: str
    visibility: str
    title: dict[str, str]
    clients: Figure = Field(description="Paths with both the baseline and the final answers.")
    areas: list[AreaChange]


class FigureSet(_Model):
    min_group: int = Field(
        description="Shares and means on fewer paths than this (as published) are not shown."
    )
    noise: Noise = Field(
        description="Every count is the true one moved by a little noise, the same group"
        " always by the same amount: `typical_share` of them by at most `typical_deviation`,"
        " none by more than `max_deviation`; sums and means are moved in proportion."
    )
    funnel: Funnel
    status: Status
    discontinued: Discontinued
    adherence: AdherenceFigures
    time: TimeFigures
    direction: DirectionFigures
    guidance: GuidanceFigures
    outcomes: dict[str, FollowUpFigures] = Field(description="Follow-up (end, 3m, 6m) → figures.")
    self_assessment: list[InstrumentChange]
