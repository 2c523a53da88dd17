"""The curriculum: 12 weeks of tasks, versioned content (loaded from data files)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["work", "education"]
TaskDirection = Literal["both", "work", "education"]
DIRECTION_WEEK = 5
WEEKS = 12


@dataclass(frozen=True)
class Task:
    task_id: str
    week: int
    title: dict[str, str]
    direction: TaskDirection
    requires_meeting: bool

    def belongs_to(self, direction: Direction | None) -> bool:
        """Tasks before the choice, and "both" tasks, belong to every path."""
        return self.direction == "both" or self.direction == direction


@dataclass(frozen=True)
class Curriculum:
    version: str
    tasks: tuple[Task, ...]

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.task_id == task_id), None)

    def tasks_of_week(self, week: int, direction: Direction | None) -> list[Task]:
        return [t for t in self.tasks if t.week == week and t.belongs_to(direction)]
