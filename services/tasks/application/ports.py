"""What tasks' commands read and write besides the plan's events, as the commands see them.

Kept behind protocols so the handlers run against the in-memory store in tests; the
PostgreSQL implementations (adapters/command_tables.py) write in the command's transaction
through `work.connection`, so a table row is kept exactly when its command commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol
from uuid import UUID

from chassis.unit_of_work import UnitOfWork
from services.tasks.adapters.plan_access import PlanAccess
from services.tasks.domain.curriculum import Direction
from services.tasks.domain.plan import Plan
from services.tasks.domain.schedule import Pause


@dataclass(frozen=True)
class PathCalendar:
    """What enrolment told tasks about a path's days: its pauses and the day it ended."""

    pauses: list[Pause] = field(default_factory=list)
    ended_on: date | None = None


class Paths(Protocol):
    async def access(self, pathway_id: UUID) -> PlanAccess | None:
        """Who may see the plan (the access projection), or None before it has arrived."""


class Calendars(Protocol):
    async def of(self, pathway_id: UUID, work: UnitOfWork | None = None) -> PathCalendar:
        """The path's pauses and ending (their projections); inside `work`'s transaction
        when given."""

    async def keep_next_opening(self, work: UnitOfWork, plan: Plan) -> None:
        """Keep the path's next calendar opening in step with its plan (none once ended)."""


class Texts(Protocol):
    """The client's own words, kept apart from the events so that they can be erased."""

    async def keep_answer(
        self, work: UnitOfWork, answer_id: UUID, pathway_id: UUID, task_id: str, body: str
    ) -> None:
        """Kept with its TaskAnswered (both or neither); the task's draft goes."""

    async def keep_reason(
        self, work: UnitOfWork, pathway_id: UUID, direction: Direction, body: str
    ) -> None: ...

    async def keep_draft(self, pathway_id: UUID, task_id: str, body: str) -> None:
        """A draft is no event: saved as it comes, the latest wins."""


class HeldMeetings(Protocol):
    async def held(self, pathway_id: UUID, task_id: str) -> bool:
        """Whether a guidance meeting about the task has been held (its projection)."""
