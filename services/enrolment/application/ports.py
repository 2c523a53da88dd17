"""What enrolment's commands write besides events, as the commands see it.

Kept behind a protocol so the handlers run against the in-memory store in tests; the
PostgreSQL implementation (adapters/client_records.py) writes in the command's transaction.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from chassis.auth import Principal
from chassis.unit_of_work import UnitOfWork
from services.enrolment.domain.client_identity import ClientIdentity
from services.enrolment.domain.pathway import OpenPathway


class ClientRecords(Protocol):
    async def claim_reference(self, work: UnitOfWork, tenant: str, identity_code: str) -> str:
        """The person's client_ref in the tenant: the one their earlier path has, or a new
        random one (never one that has been erased)."""

    async def claim_open_path(self, work: UnitOfWork, client_ref: str, pathway_id: UUID) -> bool:
        """Make this the client's one open path; False when another one is open."""

    async def release_open_path(self, work: UnitOfWork, pathway_id: UUID) -> None:
        """The path has ended: the client may have a new one."""

    async def keep_identity(
        self, work: UnitOfWork, tenant: str, client_ref: str, identity: ClientIdentity
    ) -> None:
        """Keep the client's name and identity code in the vault (never in an event)."""


class References(Protocol):
    """The tenant's registries, which every reference a path carries must be in."""

    async def remember_staff(self, work: UnitOfWork, principal: Principal) -> None:
        """A counselor or admin with a valid token is a known member of the tenant's staff."""

    async def check_opening(self, work: UnitOfWork, tenant: str, command: OpenPathway) -> None:
        """Municipality, unit, cohort and counselors of a new path; 422 naming the field."""

    async def check_counselor(self, work: UnitOfWork, tenant: str, counselor_id: str) -> None:
        """A counselor added to a path is an active counselor of the tenant."""
