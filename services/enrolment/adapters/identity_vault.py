"""The identity vault: clients' names and identity codes, encrypted, in `client_identities`,
and the one link from a person to their random client_ref.

Enrolment's own table and nowhere else: no event, read model or log holds them. Rows are
sealed by `VaultCipher` before they reach PostgreSQL and opened only when a member of staff
who may see the path reads it. Each row keeps the lookup hash of its tenant and identity code
(HMAC under the pseudonym key, with the key's version), by which a later path of the same
person, or the person's own token, finds their reference. Erasure deletes the row, hash and
all, so the reference left in events and read models leads nowhere (decision 0025).
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from chassis.advisory_locks import lock_until_commit
from chassis.event_store import DbConnection
from chassis.versioned_keys import VersionedKey
from services.enrolment.adapters.open_paths import lock_client
from services.enrolment.adapters.vault_cipher import VaultCipher
from services.enrolment.domain.client_identity import ClientIdentity
from services.enrolment.domain.client_reference import lookup_hash, new_client_ref


class IdentityVault:
    def __init__(self, cipher: VaultCipher, pseudonym_key: VersionedKey) -> None:
        self._cipher = cipher
        self._key = pseudonym_key

    async def reference_of(
        self, reader: DbConnection | asyncpg.Pool, tenant: str, identity_code: str
    ) -> str | None:
        """The person's reference in this tenant, or None when no path was ever opened for
        them here (or they have been erased)."""
        value = await reader.fetchval(
            "SELECT client_ref FROM client_identities"
            " WHERE key_version = $1 AND lookup_hash = $2 AND tenant = $3",
            self._key.version,
            lookup_hash(self._key, tenant, identity_code),
            tenant,
        )
        return value if isinstance(value, str) else None

    async def claim_reference(
        self, connection: DbConnection, tenant: str, identity_code: str
    ) -> str:
        """The person's reference, found through the lookup hash or freshly minted.

        In the opening's transaction: a lock on the hash makes two counselors opening a first
        path for the same person at once agree on one reference. The found reference is then
        locked as erasure locks it and looked up again, so an erasure that committed meanwhile
        is seen and a new reference minted: an erased reference is never handed out again.
        """
        hashed = lookup_hash(self._key, tenant, identity_code)
        await lock_until_commit(connection, f"enrolment-lookup:{hashed}")
        found = await self.reference_of(connection, tenant, identity_code)
        if found is not None:
            await lock_client(connection, found)
            if await self.reference_of(connection, tenant, identity_code) == found:
                return found
        return new_client_ref()

    async def store(
        self, connection: DbConnection, tenant: str, client_ref: str, identity: ClientIdentity
    ) -> None:
        """Keep the identity and its lookup hash (a name can change between paths)."""
        await connection.execute(
            "INSERT INTO client_identities"
            " (client_ref, tenant, ciphertext, lookup_hash, key_version)"
            " VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (client_ref) DO UPDATE SET ciphertext = $3, lookup_hash = $4,"
            " key_version = $5, created_at = now()",
            client_ref,
            tenant,
            self._cipher.seal(client_ref, identity),
            lookup_hash(self._key, tenant, identity.personal_identity_code),
            self._key.version,
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
        """Delete the client's identity and lookup hash; True when there was one."""
        status = await connection.execute(
            "DELETE FROM client_identities WHERE tenant = $1 AND client_ref = $2",
            tenant,
            client_ref,
        )
        return str(status) != "DELETE 0"
