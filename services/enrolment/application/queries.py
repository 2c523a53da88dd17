"""What staff read in enrolment: a path with its client's identity, and their list of paths.

The identity is opened from the vault only for someone who may see the path (its counselors
and the tenant's admins; managers never reach these reads), and never for an erased path.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from chassis.auth import Principal
from chassis.unit_of_work import CommandPipeline
from services.enrolment.adapters.identity_vault import IdentityVault
from services.enrolment.adapters.pathway_list import PathwayRow, list_rows
from services.enrolment.application.handlers import load_visible
from services.enrolment.domain.client_identity import ClientIdentity
from services.enrolment.domain.pathway import Pathway, Status


@dataclass(frozen=True)
class PathwayRead:
    pathway: Pathway
    identity: ClientIdentity | None


@dataclass(frozen=True)
class ListedPath:
    row: PathwayRow
    identity: ClientIdentity | None


class EnrolmentQueries:
    def __init__(self, pipeline: CommandPipeline, vault: IdentityVault, pool: asyncpg.Pool) -> None:
        self._pipeline = pipeline
        self._pool = pool
        self._vault = vault

    async def pathway(self, pathway_id: UUID, principal: Principal) -> PathwayRead:
        pathway = await load_visible(self._pipeline.load, pathway_id, principal)
        identity = None
        if not pathway.erased:
            identity = await self._vault.load(self._pool, pathway.tenant, pathway.client_ref)
        return PathwayRead(pathway, identity)

    async def paths_of(
        self, principal: Principal, status: Status | None, after: UUID | None, limit: int
    ) -> list[ListedPath]:
        """A counselor's own paths; an admin's whole tenant."""
        rows = await list_rows(
            self._pool,
            principal.tenant,
            counselor_id=None if principal.role == "admin" else principal.subject,
            status=status,
            after=after,
            limit=limit,
        )
        identities = await self._vault.load_many(
            self._pool, principal.tenant, [row.client_ref for row in rows if not row.erased]
        )
        return [
            ListedPath(row, None if row.erased else identities.get(row.client_ref)) for row in rows
        ]
