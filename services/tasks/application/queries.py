"""Reading plans for the API and the pages: only for those who may see them."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from chassis.auth import Principal
from chassis.unit_of_work import CommandPipeline
from contracts.events.tasks import TaskAnswered
from services.tasks.application.plans import load_started_plan, require_access
from services.tasks.application.ports import Calendars, Paths
from services.tasks.domain.plan import Plan


@dataclass(frozen=True)
class PlanQueries:
    pipeline: CommandPipeline
    paths: Paths
    calendars: Calendars

    async def visible_plan(self, pathway_id: UUID, principal: Principal) -> Plan:
        """The plan, if the caller may see it; otherwise as if it did not exist."""
        await require_access(self.paths, pathway_id, principal)
        return await load_started_plan(self.pipeline.load, self.calendars, pathway_id)

    async def answers_of(self, pathway_id: UUID) -> list[TaskAnswered]:
        """The path's TaskAnswered events in the order they were recorded."""
        stream = await self.pipeline.load(str(pathway_id))
        return [event for event in stream.events if isinstance(event, TaskAnswered)]
