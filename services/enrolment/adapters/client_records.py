"""Enrolment's command-side tables on PostgreSQL, read and written in the command's transaction."""

from __future__ import annotations

from uuid import UUID

from chassis.auth import Principal
from chassis.unit_of_work import UnitOfWork
from services.enrolment.adapters.identity_vault import IdentityVault
from services.enrolment.adapters.open_paths import claim_open_path, lock_client, release_open_path
from services.enrolment.application import references
from services.enrolment.domain.client_identity import ClientIdentity
from services.enrolment.domain.pathway import OpenPathway


class PostgresClientRecords:
    def __init__(self, vault: IdentityVault) -> None:
        self._vault = vault

    async def claim_reference(self, work: UnitOfWork, tenant: str, identity_code: str) -> str:
        return await self._vault.claim_reference(work.connection, tenant, identity_code)

    async def claim_open_path(self, work: UnitOfWork, client_ref: str, pathway_id: UUID) -> bool:
        await lock_client(work.connection, client_ref)
        return await claim_open_path(work.connection, client_ref, pathway_id)

    async def release_open_path(self, work: UnitOfWork, pathway_id: UUID) -> None:
        await release_open_path(work.connection, pathway_id)

    async def keep_identity(
        self, work: UnitOfWork, tenant: str, client_ref: str, identity: ClientIdentity
    ) -> None:
        await self._vault.store(work.connection, tenant, client_ref, identity)


class PostgresReferences:
    async def remember_staff(self, work: UnitOfWork, principal: Principal) -> None:
        await references.remember_staff(work.connection, principal)

    async def check_opening(self, work: UnitOfWork, tenant: str, command: OpenPathway) -> None:
        await references.check_opening(
            work.connection,
            tenant,
            command.municipality,
            command.unit,
            command.cohort,
            command.counselor_ids,
        )

    async def check_counselor(self, work: UnitOfWork, tenant: str, counselor_id: str) -> None:
        await references.check_counselor(work.connection, tenant, counselor_id)
