"""Enrolment's commands: open a path, and decide any command on an open one.

Each handler is the decision; the command pipeline (chassis/unit_of_work.py) does the
idempotency, the transaction, If-Match and the race with a retry. The path list is kept
inline by the pipeline; the client's reference, the open-path claim and the vault go through
`ClientRecords`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from chassis.auth import Principal
from chassis.errors import Conflict, NotFound
from chassis.event_store import AppendResult
from chassis.streams import CommandContext, LoadedStream
from chassis.unit_of_work import CommandPipeline, Ran, UnitOfWork
from services.enrolment.application.ports import ClientRecords, References
from services.enrolment.domain.client_identity import ClientIdentity
from services.enrolment.domain.commands import AssignCounselor, PathCommand, decide
from services.enrolment.domain.pathway import PathOpening, Pathway, open_pathway

StreamLoader = Callable[[str], Awaitable[LoadedStream]]


@dataclass(frozen=True)
class OpenedPath:
    pathway_id: UUID
    client_ref: str


@dataclass(frozen=True)
class EnrolmentCommands:
    pipeline: CommandPipeline
    records: ClientRecords
    references: References

    async def open(
        self,
        opening: PathOpening,
        identity: ClientIdentity,
        principal: Principal,
        context: CommandContext,
        today: date,
    ) -> Ran[OpenedPath]:
        async def handle(work: UnitOfWork) -> OpenedPath:
            await self.references.remember_staff(work, principal)
            command = opening.for_client(
                await self.records.claim_reference(
                    work, context.tenant, identity.personal_identity_code
                )
            )
            await self.references.check_opening(work, context.tenant, command)
            # The append goes before the claim of the open path: a retry racing its own first
            # attempt waits on the key there and gets the first result, not a 409 below.
            await work.append(str(command.pathway_id), 0, open_pathway(command, today))
            if not await self.records.claim_open_path(work, command.client_ref, command.pathway_id):
                raise Conflict("enrolment.client_has_open_path")  # rolls the append back
            await self.records.keep_identity(work, context.tenant, command.client_ref, identity)
            return OpenedPath(command.pathway_id, command.client_ref)

        async def replay(recorded: AppendResult) -> OpenedPath:
            # The reference is the one the first attempt recorded, read from its event.
            pathway = await load_pathway(self.pipeline.load, UUID(recorded.stream_id))
            return OpenedPath(pathway.pathway_id, pathway.client_ref)

        return await self.pipeline.run(context, handle, replay)

    async def on_path(
        self,
        pathway_id: UUID,
        command: PathCommand,
        principal: Principal,
        context: CommandContext,
        today: date,
    ) -> Ran[Pathway]:
        """Decide a command on one path the caller may see; returns the path after it."""

        async def handle(work: UnitOfWork) -> Pathway:
            pathway = await load_visible(work.load, pathway_id, principal)
            await self.references.remember_staff(work, principal)
            if isinstance(command, AssignCounselor):
                await self.references.check_counselor(work, context.tenant, command.counselor_id)
            events = decide(pathway, command, today)
            await work.append(str(pathway_id), pathway.version, events)
            was_open = pathway.is_open
            for event in events:
                pathway.apply(event)
            if was_open and not pathway.is_open:
                await self.records.release_open_path(work, pathway_id)
            return pathway

        async def replay(recorded: AppendResult) -> Pathway:
            return await load_visible(self.pipeline.load, pathway_id, principal)

        return await self.pipeline.run(context, handle, replay)


async def load_pathway(load: StreamLoader, pathway_id: UUID) -> Pathway:
    stream = await load(str(pathway_id))
    return Pathway.from_history(pathway_id, stream.version, stream.tenant, stream.events)


async def load_visible(load: StreamLoader, pathway_id: UUID, principal: Principal) -> Pathway:
    """The path, if this member of staff may see it; otherwise as if it did not exist."""
    pathway = await load_pathway(load, pathway_id)
    pathway.require_exists()
    if not may_see(pathway, principal):
        raise NotFound("error.not_found")
    return pathway


def may_see(pathway: Pathway, principal: Principal) -> bool:
    if principal.tenant != pathway.tenant:
        return False
    if principal.role == "admin":
        return True
    return principal.role == "counselor" and principal.subject in pathway.counselor_ids
