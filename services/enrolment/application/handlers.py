"""Enrolment's command handlers: load, decide, append; and, in the append's transaction,
the enrolment tables that must never disagree with the events (vault, open paths, list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from chassis.auth import Principal
from chassis.errors import Conflict, NotFound
from chassis.event_store import DbConnection
from chassis.streams import CommandContext, EventStreams, check_expected_version
from contracts.events.base import EventModel
from services.enrolment.adapters.identity_vault import IdentityVault
from services.enrolment.adapters.open_paths import claim_open_path, lock_client, release_open_path
from services.enrolment.adapters.pathway_list import save_row
from services.enrolment.domain.client_identity import ClientIdentity
from services.enrolment.domain.commands import PathCommand, decide
from services.enrolment.domain.pathway import OpenPathway, Pathway, open_pathway


@dataclass(frozen=True)
class Opened:
    pathway_id: UUID
    replayed: bool


@dataclass(frozen=True)
class Decided:
    pathway: Pathway
    # True when this was a retry (same idempotency key) of a command that went through.
    replayed: bool


class EnrolmentHandlers:
    def __init__(self, streams: EventStreams, vault: IdentityVault) -> None:
        self._streams = streams
        self._pool = streams.store.pool
        self._vault = vault

    async def open(
        self, command: OpenPathway, identity: ClientIdentity, context: CommandContext, today: date
    ) -> Opened:
        previous = await self._streams.previous_result(context)
        if previous is not None:
            return Opened(UUID(previous.stream_id), True)
        events = open_pathway(command, today)
        pathway = Pathway(command.pathway_id, tenant=context.tenant)
        async with self._pool.acquire() as connection, connection.transaction():
            # The append goes first: a retry racing its own first attempt (same idempotency
            # key) waits on the key there and gets the first result, not a 409 from below.
            result = await self._streams.append(
                str(command.pathway_id), 0, events, context, connection
            )
            if result.replayed:
                return Opened(UUID(result.stream_id), True)
            await lock_client(connection, command.client_ref)
            if not await claim_open_path(connection, command.client_ref, command.pathway_id):
                raise Conflict("enrolment.client_has_open_path")  # rolls the append back
            await self._vault.store(connection, context.tenant, command.client_ref, identity)
            await record_in_tables(connection, pathway, events)
        return Opened(command.pathway_id, False)

    async def load_visible(self, pathway_id: UUID, principal: Principal) -> Pathway:
        """The path, if this member of staff may see it; otherwise as if it did not exist."""
        pathway = await load_pathway(self._streams, pathway_id)
        pathway.require_exists()
        if not may_see(pathway, principal):
            raise NotFound("error.not_found")
        return pathway

    async def handle(
        self,
        pathway_id: UUID,
        command: PathCommand,
        principal: Principal,
        context: CommandContext,
        today: date,
        expected_version: int | None = None,
    ) -> Decided:
        """Decide a command on one path and record what it decided."""
        pathway = await self.load_visible(pathway_id, principal)
        if await self._streams.previous_result(context) is not None:
            return Decided(pathway, True)
        check_expected_version(str(pathway_id), expected_version, pathway.version)
        events = decide(pathway, command, today)
        if not events:
            return Decided(pathway, False)
        async with self._pool.acquire() as connection, connection.transaction():
            result = await self._streams.append(
                str(pathway_id), pathway.version, events, context, connection
            )
            if not result.replayed:
                await record_in_tables(connection, pathway, events)
        if result.replayed:  # the first attempt committed while this one was deciding
            return Decided(await load_pathway(self._streams, pathway_id), True)
        return Decided(pathway, False)


async def load_pathway(streams: EventStreams, pathway_id: UUID) -> Pathway:
    stream = await streams.load(str(pathway_id))
    return Pathway.from_history(pathway_id, stream.version, stream.tenant, stream.events)


async def record_in_tables(
    connection: DbConnection, pathway: Pathway, events: list[EventModel]
) -> None:
    """Fold the appended events in and bring enrolment's tables to the new state."""
    for event in events:
        pathway.apply(event)
    await save_row(connection, pathway)
    if not pathway.is_open:
        await release_open_path(connection, pathway.pathway_id)


def may_see(pathway: Pathway, principal: Principal) -> bool:
    if principal.tenant != pathway.tenant:
        return False
    if principal.role == "admin":
        return True
    return principal.role == "counselor" and principal.subject in pathway.counselor_ids
