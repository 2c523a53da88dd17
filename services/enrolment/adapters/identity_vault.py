"""The identity vault: clients' names and identity codes, encrypted, in `client_identities`.

Enrolment's own table and nowhere else: no event, read model or log holds them. Rows are
sealed by `VaultCipher` before they reach PostgreSQL and opened only when a member of staff
who may see the path reads it. Erasure deletes the row.
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from chassis.event_store import DbConnection
from services.enrolment.adapters.vault_cipher import VaultCipher
from services.enrolment.domain.client_identity import ClientIdentity


class IdentityVault:
    def __init__(self, cipher: VaultCipher) -> None:
        self._cipher = cipher

    async def store(
        self, connection: DbConnection, tenant: str, client_ref: str, identity: ClientIdentity
    ) -> None:
        """Keep the identity (replacing an earlier one: a name can change between paths)."""
        await connection.execute(
            "INSERT INTO client_identities (client_ref, tenant, ciphertext) VALUES ($1, $2, $3)"
            " ON CONFLICT (client_ref) DO UPDATE SET ciphertext = $3, created_at = now()",
            client_ref,
            tenant,
            self._cipher.seal(client_ref, identity),
        )

    async def load(
        self, reader: DbConnection | asyncpg.Pool, tenant: str, client_ref: str
    ) -> ClientIdentity | None:
        found = await self.load_many(reader, tenant, [client_ref])
        return found.get(client_ref)

    async def load_many(
        self, reader: DbConnection | asyncpg.Pool, tenant: str, client_refs: Iterable[str]
    ) -> dict[str, ClientIdentity]:
        rows = await reader.fetch(
            "SELECT client_ref, ciphertext FROM client_identities"
            " WHERE tenant = $1 AND client_ref = ANY($2::text[])",
            tenant,
            sorted(set(client_refs)),
        )
        return {
            row["client_ref"]: self._cipher.open(row["client_ref"], bytes(row["ciphertext"]))
            for row in rows
        }

    async def erase(self, connection: DbConnection, tenant: str, client_ref: str) -> bool:
        """Delete the client's identity; True when there was one."""
        status = await connection.execute(
            "DELETE FROM client_identities WHERE tenant = $1 AND client_ref = $2",
            tenant,
            client_ref,
        )
        return str(status) != "DELETE 0"
