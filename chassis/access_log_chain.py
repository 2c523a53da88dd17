"""Verifying the access log's hash chain (chassis migration 0005, decision 0024).

The database computes each entry's hash as it is written; this module recomputes every hash
from the entries' own fields, independently of the database's functions, and walks the chain
in order. An entry edited afterwards (by anyone able to lift the log's guard: the table's
owner or a superuser) no longer matches its hash; a removed entry leaves a gap in the chain's
positions; entries removed from the end no longer reach the chain's recorded head.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from chassis.event_store import DbConnection

# The first entry's predecessor.
GENESIS = bytes(32)
_VERSION = "digipolku-access-log-v1"
_COLUMNS = (
    "chain_seq, entry_id, read_at, tenant, reader, reader_role, client_ref, pathway_id, what,"
    " why, correlation_id, prev_hash, row_hash"
)


@dataclass(frozen=True)
class ChainedEntry:
    chain_seq: int
    entry_id: int
    read_at: datetime
    tenant: str
    reader: str
    reader_role: str
    client_ref: str
    pathway_id: UUID | None
    what: str
    why: str
    correlation_id: UUID | None


def _field(value: str | None) -> str:
    if value is None:
        return "-"
    return f"{len(value.encode())}:{value}"


def canonical(entry: ChainedEntry) -> bytes:
    """The entry's fields, encoded as the database's `access_log_row_hash` encodes them."""
    read_at = entry.read_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    fields = [
        str(entry.chain_seq),
        str(entry.entry_id),
        read_at,
        entry.tenant,
        entry.reader,
        entry.reader_role,
        entry.client_ref,
        None if entry.pathway_id is None else str(entry.pathway_id),
        entry.what,
        entry.why,
        None if entry.correlation_id is None else str(entry.correlation_id),
    ]
    return "|".join([_VERSION, *(_field(value) for value in fields)]).encode()


def row_hash(prev_hash: bytes, entry: ChainedEntry) -> bytes:
    return hashlib.sha256(prev_hash + canonical(entry)).digest()


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the chain does not hold."""

    entry_id: int | None  # None when the break is at the chain's end (the head)
    chain_seq: int
    what: str  # which check failed
    expected: str
    found: str

    def __str__(self) -> str:
        where = f"entry {self.entry_id}" if self.entry_id is not None else "the chain's head"
        return (
            f"broken at {where} (chain position {self.chain_seq}): {self.what};"
            f" expected {self.expected}, found {self.found}"
        )


@dataclass(frozen=True)
class ChainVerdict:
    entries: int
    head_hash: bytes
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None

    def __str__(self) -> str:
        if self.broken is None:
            return f"ok, {self.entries} entries (head {self.head_hash.hex()})"
        return str(self.broken)


def _entry(row: asyncpg.Record) -> ChainedEntry:
    return ChainedEntry(
        chain_seq=row["chain_seq"],
        entry_id=row["entry_id"],
        read_at=row["read_at"],
        tenant=row["tenant"],
        reader=row["reader"],
        reader_role=row["reader_role"],
        client_ref=row["client_ref"],
        pathway_id=row["pathway_id"],
        what=row["what"],
        why=row["why"],
        correlation_id=row["correlation_id"],
    )


async def verify_chain(connection: DbConnection) -> ChainVerdict:
    """Walk the whole chain in order; the verdict names the first broken link, if any."""
    expected_prev = GENESIS
    count = 0
    # One snapshot for the entries and the head, so that inserts meanwhile do not count.
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        async for row in connection.cursor(
            f"SELECT {_COLUMNS} FROM access_log ORDER BY chain_seq", prefetch=1000
        ):
            entry = _entry(row)
            count += 1
            broken = _check(entry, count, expected_prev, bytes(row["prev_hash"]), row["row_hash"])
            if broken is not None:
                return ChainVerdict(count - 1, expected_prev, broken)
            expected_prev = bytes(row["row_hash"])
        head = await connection.fetchrow("SELECT length, head_hash FROM access_log_chain_head")
    if head is None or head["length"] != count or bytes(head["head_hash"]) != expected_prev:
        found = "no head" if head is None else f"{head['length']}, {bytes(head['head_hash']).hex()}"
        return ChainVerdict(
            count,
            expected_prev,
            ChainBreak(
                None,
                count,
                "the chain's recorded head is not its last entry (entries removed at the end?)",
                f"{count}, {expected_prev.hex()}",
                found,
            ),
        )
    return ChainVerdict(count, expected_prev, None)


def _check(
    entry: ChainedEntry, position: int, expected_prev: bytes, prev: bytes, stored: bytes
) -> ChainBreak | None:
    if entry.chain_seq != position:
        return ChainBreak(
            entry.entry_id,
            position,
            "an entry is missing before this one",
            f"chain position {position}",
            f"chain position {entry.chain_seq}",
        )
    if prev != expected_prev:
        return ChainBreak(
            entry.entry_id,
            position,
            "the link to the previous entry",
            expected_prev.hex(),
            prev.hex(),
        )
    computed = row_hash(prev, entry)
    if computed != bytes(stored):
        return ChainBreak(
            entry.entry_id,
            position,
            "the entry's fields no longer match its hash",
            computed.hex(),
            bytes(stored).hex(),
        )
    return None
