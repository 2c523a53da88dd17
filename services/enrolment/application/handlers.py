"""Enrolment's command handlers: load, decide, append; nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from chassis.auth import Principal
from chassis.errors import NotFound
from chassis.streams import CommandContext, EventStreams, check_expected_version
from contracts.events.base import EventModel
from services.enrolment.domain.pathway import (
    OpenPathway,
    Pathway,
    assign_counselor,
    open_pathway,
    pause_pathway,
    resume_pathway,
)


@dataclass(frozen=True)
class Opened:
    pathway_id: UUID
    replayed: bool


class EnrolmentHandlers:
    def __init__(self, streams: EventStreams) -> None:
        self._streams = streams

    async def open(self, command: OpenPathway, context: CommandContext, today: date) -> Opened:
        previous = await self._streams.previous_result(context)
        if previous is not None:
            return Opened(UUID(previous.stream_id), True)
        events = open_pathway(command, today)
        result = await self._streams.append(str(command.pathway_id), 0, events, context)
        # A retried command (same idempotency key) gets the path the first attempt opened.
        return Opened(UUID(result.stream_id), result.replayed)

    async def load_visible(self, pathway_id: UUID, principal: Principal) -> Pathway:
        """The path, if this member of staff may see it; otherwise as if it did not exist."""
        stream = await self._streams.load(str(pathway_id))
        pathway = Pathway.from_history(pathway_id, stream.version, stream.tenant, stream.events)
        pathway.require_exists()
        if not _may_see(pathway, principal):
            raise NotFound("error.not_found")
        return pathway

    async def assign(
        self,
        pathway_id: UUID,
        counselor_id: str,
        replaces: str | None,
        principal: Principal,
        context: CommandContext,
    ) -> Pathway:
        pathway = await self.load_visible(pathway_id, principal)
        events = assign_counselor(pathway, counselor_id, replaces)
        if events:
            await self._streams.append(str(pathway_id), pathway.version, events, context)
            for event in events:
                pathway.apply(event)
        return pathway

    async def pause(
        self,
        pathway_id: UUID,
        paused_on: date,
        until: date | None,
        principal: Principal,
        context: CommandContext,
        today: date,
        expected_version: int | None = None,
    ) -> Pathway:
        pathway = await self.load_visible(pathway_id, principal)
        if await self._streams.previous_result(context) is not None:
            return pathway  # a retry of a pause that went through
        return await self._decide(
            pathway, context, expected_version, pause_pathway(pathway, paused_on, until, today)
        )

    async def resume(
        self,
        pathway_id: UUID,
        resumed_on: date,
        principal: Principal,
        context: CommandContext,
        today: date,
        expected_version: int | None = None,
    ) -> Pathway:
        pathway = await self.load_visible(pathway_id, principal)
        if await self._streams.previous_result(context) is not None:
            return pathway  # a retry of a resume that went through
        return await self._decide(
            pathway, context, expected_version, resume_pathway(pathway, resumed_on, today)
        )

    async def _decide(
        self,
        pathway: Pathway,
        context: CommandContext,
        expected_version: int | None,
        events: list[EventModel],
    ) -> Pathway:
        check_expected_version(str(pathway.pathway_id), expected_version, pathway.version)
        await self._streams.append(str(pathway.pathway_id), pathway.version, events, context)
        for event in events:
            pathway.apply(event)
        return pathway


def _may_see(pathway: Pathway, principal: Principal) -> bool:
    if principal.tenant != pathway.tenant:
        return False
    if principal.role == "admin":
        return True
    return principal.role == "counselor" and principal.subject in pathway.counselor_ids
