"""Erasing a client: every path of theirs records ClientDataErased, and the vault forgets them.

A client may have had several paths (one after another). ClientDataErased goes on each path's
own stream, so every consumer meets it in that path's order (the Kafka key is the path) after
everything else that happened to the path. All of it, the identity's deletion and the record
of who ordered it commit in one transaction, or none of it does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from chassis.auth import Principal
from chassis.errors import Conflict, Forbidden, NotFound
from chassis.streams import CommandContext, EventStreams
from services.enrolment.adapters.erasure_records import (
    ErasureRecord,
    latest_erasure,
    record_erasure,
)
from services.enrolment.adapters.identity_vault import IdentityVault
from services.enrolment.adapters.open_paths import lock_client
from services.enrolment.adapters.pathway_list import pathways_of_client
from services.enrolment.application.handlers import load_pathway, record_in_tables
from services.enrolment.domain.pathway import erase_client_data


@dataclass(frozen=True)
class Erased:
    record: ErasureRecord
    replayed: bool


class ErasureHandler:
    def __init__(self, streams: EventStreams, vault: IdentityVault) -> None:
        self._streams = streams
        self._pool = streams.store.pool
        self._vault = vault

    async def erase(
        self,
        client_ref: str,
        reason: str,
        principal: Principal,
        context: CommandContext,
        today: date,
    ) -> Erased:
        if principal.role != "admin":  # an admin's decision alone (the route checks it too)
            raise Forbidden("error.forbidden")
        tenant = principal.tenant
        if await self._streams.previous_result(context) is not None:
            return await self._replayed(tenant, client_ref)
        erased_at = context.timestamp()
        async with self._pool.acquire() as connection, connection.transaction():
            await lock_client(connection, client_ref)
            # A retry that waited on the lock for its first attempt finds that attempt's key.
            if await self._streams.previous_result(context) is not None:
                return await self._replayed(tenant, client_ref)
            pathway_ids = await pathways_of_client(connection, tenant, client_ref)
            if not pathway_ids:
                raise NotFound("error.not_found")  # not a client of this tenant
            erased: list[UUID] = []
            # Only the first append carries the idempotency key (a key names one append);
            # the others commit with it or not at all.
            keyed = context
            for pathway_id in pathway_ids:
                pathway = await load_pathway(self._streams, pathway_id)
                events = erase_client_data(pathway, erased_at, today)
                if not events:
                    continue  # erased before
                result = await self._streams.append(
                    str(pathway_id), pathway.version, events, keyed, connection
                )
                if result.replayed:  # a retry racing its first attempt, which committed
                    return await self._replayed(tenant, client_ref)
                keyed = replace(context, idempotency_key=None)
                await record_in_tables(connection, pathway, events)
                erased.append(pathway_id)
            had_identity = await self._vault.erase(connection, tenant, client_ref)
            if not erased and not had_identity:
                raise Conflict("enrolment.already_erased")
            record = ErasureRecord(client_ref, erased_at, erased)
            await record_erasure(connection, tenant, record, principal.subject, reason)
        return Erased(record, False)

    async def _replayed(self, tenant: str, client_ref: str) -> Erased:
        record = await latest_erasure(self._pool, tenant, client_ref)
        if record is None:
            raise NotFound("error.not_found")
        return Erased(record, True)
