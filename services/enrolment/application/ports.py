"""What enrolment's commands write besides events, as the commands see it.

Kept behind a protocol so the handlers run against the in-memory store in tests; the
PostgreSQL implementation (adapters/client_records.py) writes in the command's transaction.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from chassis.unit_of_work import UnitOfWork
from services.enrolment.domain.client_identity import ClientIdentity


class ClientRecords(Protocol):
    async def claim_open_path(self, work: UnitOfWork, client_ref: str, pathway_id: UUID) -> bool:
        """Make this the client's one open path; False when another one is open."""

    async def release_open_path(self, work: UnitOfWork, pathway_id: UUID) -> None:
        """The path has ended: the client may have a new one."""

    async def keep_identity(
        self, work: UnitOfWork, tenant: str, client_ref: str, identity: ClientIdentity
    ) -> None:
        """Keep the client's name and identity code in the vault (never in an event)."""
