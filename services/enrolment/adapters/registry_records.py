"""The registry tables in enrolment's database: units, cohorts and the staff directory.

Functions take a connection (or the pool) so a command handler can read them inside its own
transaction.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg

from chassis.event_store import DbConnection
from services.enrolment.domain.registry import (
    RegistryEntry,
    RegistryEntryExists,
    RegistryEntryMissing,
    RegistryKind,
    StaffMember,
)

Database: TypeAlias = "DbConnection | asyncpg.Pool[asyncpg.Record]"
TABLES: dict[RegistryKind, str] = {"unit": "registry_units", "cohort": "registry_cohorts"}


def _entry(kind: RegistryKind, row: Any) -> RegistryEntry:
    return RegistryEntry(kind, row["code"], row["name_fi"], row["name_sv"], row["retired_at"])


def _member(row: Any) -> StaffMember:
    return StaffMember(
        row["subject"], row["role"], row["display_name"], row["active"], row["source"]
    )


async def find_entry(
    db: Database, kind: RegistryKind, tenant: str, code: str
) -> RegistryEntry | None:
    row = await db.fetchrow(
        f"SELECT * FROM {TABLES[kind]} WHERE tenant = $1 AND code = $2", tenant, code
    )
    return _entry(kind, row) if row else None


async def list_entries(
    db: Database, kind: RegistryKind, tenant: str, *, include_retired: bool
) -> list[RegistryEntry]:
    rows = await db.fetch(
        f"SELECT * FROM {TABLES[kind]} WHERE tenant = $1"
        " AND ($2 OR retired_at IS NULL) ORDER BY code",
        tenant,
        include_retired,
    )
    return [_entry(kind, row) for row in rows]


async def add_entry(
    db: Database, kind: RegistryKind, tenant: str, code: str, name_fi: str, name_sv: str | None
) -> RegistryEntry:
    row = await db.fetchrow(
        f"INSERT INTO {TABLES[kind]} (tenant, code, name_fi, name_sv) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING RETURNING *",
        tenant,
        code,
        name_fi,
        name_sv,
    )
    if row is None:
        raise RegistryEntryExists(kind, code)
    return _entry(kind, row)


async def rename_entry(
    db: Database, kind: RegistryKind, tenant: str, code: str, name_fi: str, name_sv: str | None
) -> RegistryEntry:
    row = await db.fetchrow(
        f"UPDATE {TABLES[kind]} SET name_fi = $3, name_sv = $4, updated_at = now()"
        " WHERE tenant = $1 AND code = $2 RETURNING *",
        tenant,
        code,
        name_fi,
        name_sv,
    )
    if row is None:
        raise RegistryEntryMissing(kind, code)
    return _entry(kind, row)


async def retire_entry(db: Database, kind: RegistryKind, tenant: str, code: str) -> RegistryEntry:
    """Retiring twice keeps the first date (a retried request changes nothing)."""
    row = await db.fetchrow(
        f"UPDATE {TABLES[kind]} SET retired_at = coalesce(retired_at, now()), updated_at = now()"
        " WHERE tenant = $1 AND code = $2 RETURNING *",
        tenant,
        code,
    )
    if row is None:
        raise RegistryEntryMissing(kind, code)
    return _entry(kind, row)


async def find_staff(db: Database, tenant: str, subject: str) -> StaffMember | None:
    row = await db.fetchrow(
        "SELECT * FROM staff_directory WHERE tenant = $1 AND subject = $2", tenant, subject
    )
    return _member(row) if row else None


async def list_staff(db: Database, tenant: str, *, include_inactive: bool) -> list[StaffMember]:
    rows = await db.fetch(
        "SELECT * FROM staff_directory WHERE tenant = $1 AND ($2 OR active) ORDER BY subject",
        tenant,
        include_inactive,
    )
    return [_member(row) for row in rows]


async def put_staff(
    db: Database, tenant: str, subject: str, role: str, display_name: str | None, active: bool
) -> StaffMember:
    """The admin's word wins over what a token said."""
    row = await db.fetchrow(
        """
        INSERT INTO staff_directory (tenant, subject, role, display_name, active, source)
        VALUES ($1, $2, $3, $4, $5, 'admin')
        ON CONFLICT (tenant, subject) DO UPDATE
           SET role = excluded.role, display_name = excluded.display_name,
               active = excluded.active, source = 'admin', updated_at = now()
        RETURNING *
        """,
        tenant,
        subject,
        role,
        display_name,
        active,
    )
    return _member(row)


async def deactivate_staff(db: Database, tenant: str, subject: str) -> StaffMember | None:
    row = await db.fetchrow(
        "UPDATE staff_directory SET active = false, source = 'admin', updated_at = now()"
        " WHERE tenant = $1 AND subject = $2 RETURNING *",
        tenant,
        subject,
    )
    return _member(row) if row else None


async def record_seen(db: Database, tenant: str, subject: str, role: str) -> None:
    """A staff member who called with a valid token: the tenant's issuer vouches for them.

    Only a first sighting is written; an admin's entry (role, leaving) is never overridden.
    """
    await db.execute(
        "INSERT INTO staff_directory (tenant, subject, role, source) VALUES ($1, $2, $3, 'token')"
        " ON CONFLICT (tenant, subject) DO NOTHING",
        tenant,
        subject,
        role,
    )
