"""Erasing a client: every path of theirs records ClientDataErased, and the vault forgets them.

A client may have had several paths (one after another). ClientDataErased goes on each path's
own stream, so every consumer meets it in that path's order (the Kafka key is the path) after
everything else that happened to the path. All of it, the identity's deletion (its lookup hash
included), the forgetting of the paths' earlier commands and the record of who ordered it, for
which reason code, commit in one transaction (the command's), or none of it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import asyncpg

from chassis.auth import Principal
from chassis.errors import Conflict, Forbidden, NotFound
from chassis.event_store import AppendResult
from chassis.streams import CommandContext
from chassis.unit_of_work import CommandPipeline, Ran, UnitOfWork
from contracts.events.enrolment import ErasureReason
from services.enrolment.adapters.erasure_records import (
    ErasureRecord,
    latest_erasure,
    record_erasure,
)
from services.enrolment.adapters.forgotten_commands import forget_commands_of
from services.enrolment.adapters.identity_vault import IdentityVault
from services.enrolment.adapters.open_paths import lock_client, release_open_path
from services.enrolment.adapters.pathway_list import pathways_of_client
from services.enrolment.application.handlers import load_pathway
from services.enrolment.domain.pathway import erase_client_data


@dataclass(frozen=True)
class ErasureCommands:
    pipeline: CommandPipeline
    vault: IdentityVault
    pool: asyncpg.Pool

    async def erase(
        self,
        client_ref: str,
        reason: ErasureReason,
        principal: Principal,
        context: CommandContext,
        today: date,
    ) -> Ran[ErasureRecord]:
        if principal.role != "admin":  # an admin's decision alone (the route checks it too)
            raise Forbidden("error.forbidden")
        tenant = principal.tenant
        erased_at = context.timestamp()

        async def handle(work: UnitOfWork) -> ErasureRecord:
            await lock_client(work.connection, client_ref)
            # A retry that waited on the lock for its first attempt answers as a retry.
            await work.check_not_run_meanwhile()
            pathway_ids = await pathways_of_client(work.connection, tenant, client_ref)
            if not pathway_ids:
                raise NotFound("error.not_found")  # not a client of this tenant
            erased: list[UUID] = []
            for pathway_id in pathway_ids:
                pathway = await load_pathway(work.load, pathway_id)
                events = erase_client_data(pathway, erased_at, today)
                if not events:
                    continue  # erased before
                await work.append(str(pathway_id), pathway.version, events)
                if pathway.is_open:  # erasure ends an open path
                    await release_open_path(work.connection, pathway_id)
                erased.append(pathway_id)
            # The vault row goes with its lookup hash: nothing leads from the person to the
            # reference any more, and a later path of theirs gets a new one (decision 0025).
            had_identity = await self.vault.erase(work.connection, tenant, client_ref)
            await forget_commands_of(work.connection, pathway_ids, context.idempotency_key)
            if not erased and not had_identity:
                raise Conflict("enrolment.already_erased")
            record = ErasureRecord(client_ref, erased_at, erased)
            await record_erasure(work.connection, tenant, record, principal.subject, reason)
            return record

        async def replay(recorded: AppendResult) -> ErasureRecord:
            record = await latest_erasure(self.pool, tenant, client_ref)
            if record is None:
                raise NotFound("error.not_found")
            return record

        return await self.pipeline.run(context, handle, replay)
