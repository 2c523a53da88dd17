"""The curriculum: 12 weeks of tasks, versioned content (loaded from data files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["work", "education"]
TaskDirection = Literal["both", "work", "education"]
Theme = Literal[
    "self_knowledge",
    "competence_identity",
    "future_and_change",
    "operating_environment",
    "wellbeing",
    "interaction",
    "outlining_future",
]
MaterialKind = Literal["text", "video", "podcast", "service"]
Text = dict[str, str]  # language → text
DIRECTION_WEEK = 5
WEEKS = 12
# The framework of PRODUCT.md: which theme each week serves.
WEEK_THEMES: dict[int, Theme] = {
    1: "self_knowledge",
    2: "self_knowledge",
    3: "competence_identity",
    4: "competence_identity",
    5: "future_and_change",
    6: "operating_environment",
    7: "wellbeing",
    8: "operating_environment",
    9: "interaction",
    10: "interaction",
    11: "outlining_future",
    12: "outlining_future",
}


@dataclass(frozen=True)
class Material:
    kind: MaterialKind
    title: Text
    url: str


@dataclass(frozen=True)
class Task:
    task_id: str
    week: int
    title: Text
    direction: TaskDirection
    requires_meeting: bool
    theme: Theme = "self_knowledge"
    description: Text = field(default_factory=dict)
    instructions: Text = field(default_factory=dict)
    answer_prompt: Text = field(default_factory=dict)
    materials: tuple[Material, ...] = ()

    def belongs_to(self, direction: Direction | None) -> bool:
        """Tasks before the choice, and "both" tasks, belong to every path."""
        return self.direction == "both" or self.direction == direction


@dataclass(frozen=True)
class Week:
    week: int
    theme: Theme
    title: Text
    intro: Text


@dataclass(frozen=True)
class Curriculum:
    version: str
    tasks: tuple[Task, ...]
    weeks: tuple[Week, ...] = ()

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.task_id == task_id), None)

    def tasks_of_week(self, week: int, direction: Direction | None) -> list[Task]:
        return [t for t in self.tasks if t.week == week and t.belongs_to(direction)]

    def week(self, number: int) -> Week | None:
        return next((w for w in self.weeks if w.week == number), None)
