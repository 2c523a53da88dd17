"""The tenant's registries over HTTP: municipalities (read), units and cohorts (kept by the
tenant's admin), and the staff directory (kept by the admin, added to when staff first call).

Counselors may read the lists (the opening form offers them); only admins change them.
Each tenant sees and changes only its own entries.
"""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, Path, Query, Request, status

from chassis.auth import Principal
from chassis.errors import NotFound
from chassis.http_auth import require_role
from chassis.openapi import REPEATABLE_WRITE
from contracts.reference.municipalities import register
from services.enrolment.adapters import registry_records as records
from services.enrolment.adapters.registry_models import (
    Code,
    EntryList,
    EntryNames,
    EntryView,
    MunicipalityList,
    MunicipalityView,
    NewEntry,
    StaffEntry,
    StaffList,
    StaffSubject,
    StaffView,
)
from services.enrolment.application.references import remember_staff
from services.enrolment.bootstrap import enrolment
from services.enrolment.domain.registry import RegistryKind, check_new_code

router = APIRouter(tags=["registries"])


def registry_db(request: Request) -> asyncpg.Pool:
    return enrolment(request).pool


Db = Annotated[asyncpg.Pool, Depends(registry_db)]
_staff = require_role("counselor", "admin")
_admin = require_role("admin")


async def _seen_staff(principal: Annotated[Principal, Depends(_staff)], db: Db) -> Principal:
    await remember_staff(db, principal)
    return principal


async def _seen_admin(principal: Annotated[Principal, Depends(_admin)], db: Db) -> Principal:
    await remember_staff(db, principal)
    return principal


Staff = Annotated[Principal, Depends(_seen_staff)]
Admin = Annotated[Principal, Depends(_seen_admin)]
IncludeRetired = Annotated[bool, Query(description="Also the retired entries.")]
PathCode = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
SubjectPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@:-]{0,199}$")]


@router.get("/registry/municipalities", summary="The tenant's municipalities, by official code")
async def municipalities(principal: Staff) -> MunicipalityList:
    found = register()
    return MunicipalityList(
        source=found.source,
        year=found.year,
        items=[
            MunicipalityView(code=m.code, name_fi=m.fi, name_sv=m.sv)
            for m in found.of_tenant(principal.tenant)
        ],
    )


def _entry_routes(kind: RegistryKind, plural: str) -> None:
    """The same five routes for units and for cohorts."""
    base = f"/registry/{plural}"

    @router.get(base, summary=f"The tenant's {plural}", operation_id=f"list_{plural}")
    async def list_entries(
        principal: Staff, db: Db, include_retired: IncludeRetired = False
    ) -> EntryList:
        entries = await records.list_entries(
            db, kind, principal.tenant, include_retired=include_retired
        )
        return EntryList(items=[EntryView.of(entry) for entry in entries])

    @router.post(
        base,
        status_code=status.HTTP_201_CREATED,
        summary=f"Add a {kind}",
        operation_id=f"add_{kind}",
        responses={409: {"description": f"The tenant has a {kind} with this code already."}},
        openapi_extra=REPEATABLE_WRITE,
    )
    async def add(body: NewEntry, principal: Admin, db: Db) -> EntryView:
        check_new_code(body.code)
        entry = await records.add_entry(
            db, kind, principal.tenant, body.code, body.name_fi, body.name_sv
        )
        return EntryView.of(entry)

    @router.put(
        f"{base}/{{code}}",
        summary=f"Rename a {kind}",
        operation_id=f"rename_{kind}",
        openapi_extra=REPEATABLE_WRITE,
    )
    async def rename(code: PathCode, body: EntryNames, principal: Admin, db: Db) -> EntryView:
        entry = await records.rename_entry(
            db, kind, principal.tenant, code, body.name_fi, body.name_sv
        )
        return EntryView.of(entry)

    @router.post(
        f"{base}/{{code}}/retire",
        summary=f"Retire a {kind}: old paths keep it, no new path may use it",
        operation_id=f"retire_{kind}",
        openapi_extra=REPEATABLE_WRITE,
    )
    async def retire(code: PathCode, principal: Admin, db: Db) -> EntryView:
        return EntryView.of(await records.retire_entry(db, kind, principal.tenant, code))


_entry_routes("unit", "units")
_entry_routes("cohort", "cohorts")


@router.get("/staff", summary="The tenant's staff directory")
async def staff(
    principal: Staff,
    db: Db,
    include_inactive: Annotated[bool, Query(description="Also those who left.")] = False,
) -> StaffList:
    members = await records.list_staff(db, principal.tenant, include_inactive=include_inactive)
    return StaffList(items=[StaffView.of(member) for member in members])


@router.put(
    "/staff/{subject}",
    summary="Add or change a staff member of the tenant",
    openapi_extra=REPEATABLE_WRITE,
)
async def put_staff(subject: SubjectPath, body: StaffEntry, principal: Admin, db: Db) -> StaffView:
    member = await records.put_staff(
        db, principal.tenant, subject, body.role, body.display_name, body.active
    )
    return StaffView.of(member)


@router.delete(
    "/staff/{subject}",
    summary="Mark a staff member as left: no new paths; old paths keep their name",
    openapi_extra=REPEATABLE_WRITE,
)
async def remove_staff(subject: SubjectPath, principal: Admin, db: Db) -> StaffView:
    member = await records.deactivate_staff(db, principal.tenant, subject)
    if member is None:
        raise NotFound("enrolment.staff_missing", value=subject)
    return StaffView.of(member)


__all__ = ["Code", "StaffSubject", "router"]
