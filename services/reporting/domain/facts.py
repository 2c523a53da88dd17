"""What reporting knows of one path, as read from its read model: the input of every figure.

Only facts carried by events: the path's place (municipality, unit, cohort) and dates, weeks
opened, answers on time or late, the direction, how it ended, guidance meetings, outcomes and
self-assessment scores. No names, no free text, no client_ref.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, get_args
from uuid import UUID

from contracts.events.enrolment import DiscontinuationReason

Ending = Literal["completed", "discontinued"]
FOLLOW_UPS = ("end", "3m", "6m")
OUTCOMES = ("employed", "work_trial", "studies", "other_service", "none")
DISCONTINUATION_REASONS: tuple[str, ...] = get_args(DiscontinuationReason)
DIRECTIONS = ("work", "education")
WEEKS = 12
DIRECTION_WEEK = 5


@dataclass(frozen=True)
class WeekFacts:
    """One week of one path: when it opened and the written answers to its tasks."""

    opened_on: date | None = None
    on_time: int = 0
    late: int = 0


@dataclass(frozen=True)
class Scores:
    """One self-assessment questionnaire as answered: its version and item → 0–3."""

    instrument_version: str
    scores: Mapping[str, int]


@dataclass(frozen=True)
class PathFacts:
    pathway_id: UUID
    # The path's fixed random key of the cell-key method (decision 0031).
    record_key: int = 0
    start_date: date | None = None
    answers: int = 0  # TaskAnswered of either kind: the first one starts the path
    direction: str | None = None  # the direction now (after any changes)
    direction_chosen_on: date | None = None
    direction_changes: int = 0
    ending: Ending | None = None
    ended_on: date | None = None
    discontinuation_reason: str | None = None
    meetings_requested: int = 0
    meetings_held: int = 0
    meetings_missed: int = 0
    weeks: Mapping[int, WeekFacts] = field(default_factory=dict)
    outcomes: Mapping[str, str] = field(default_factory=dict)  # follow-up → outcome
    assessments: Mapping[tuple[str, str], Scores] = field(default_factory=dict)  # (id, phase)

    @property
    def latest_week(self) -> int:
        """The latest week opened while the path ran (0 if none): a week the calendar opened
        after the path had ended does not count."""
        return max(
            (
                week
                for week, facts in self.weeks.items()
                if facts.opened_on is not None
                and (self.ended_on is None or facts.opened_on <= self.ended_on)
            ),
            default=0,
        )

    @property
    def furthest_stage(self) -> int:
        """0 opened, 1 started, 2 reached week 5, 3 chose a direction, 4 completed: the
        furthest step this path has taken, so that the funnel narrows step by step."""
        if self.ending == "completed":
            return 4
        if self.direction is not None:
            return 3
        if self.latest_week >= DIRECTION_WEEK:
            return 2
        return 1 if self.answers > 0 else 0


@dataclass(frozen=True)
class InstrumentArea:
    area_id: str
    title: Mapping[str, str]
    item_ids: tuple[str, ...]


@dataclass(frozen=True)
class Instrument:
    """The part of a self-assessment instrument reporting needs: which items form an area."""

    instrument_id: str
    version: str
    visibility: str
    title: Mapping[str, str]
    areas: tuple[InstrumentArea, ...]

    def area(self, area_id: str) -> InstrumentArea | None:
        return next((area for area in self.areas if area.area_id == area_id), None)
