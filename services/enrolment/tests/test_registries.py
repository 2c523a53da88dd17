"""The registries against a real PostgreSQL with enrolment's migrations: the admin's routes
for units, cohorts and staff, tenant separation, staff recorded on first call, and the
reference checks a command makes inside its transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI, Request

from chassis.auth import Principal
from chassis.errors import DomainError, Forbidden
from chassis.event_store import create_pool
from chassis.http import install_problem_handlers
from chassis.i18n import Catalogue
from chassis.migrate import upgrade_async
from deploy.test_infrastructure import TestInfrastructure
from services.enrolment.adapters import registry_api
from services.enrolment.application.references import check_counselor, check_opening
from services.enrolment.domain.registry import NotACounselor, RetiredReference, UnknownReference

ENROLMENT = Path(__file__).resolve().parent.parent
PROBLEM = "application/problem+json"


@pytest.fixture
async def pool(infrastructure: TestInfrastructure) -> AsyncIterator[asyncpg.Pool]:
    dsn = await infrastructure.create_database("enrolment_registries")
    await upgrade_async(dsn, ENROLMENT / "migrations")
    pool = await create_pool(dsn, max_size=4)
    yield pool
    await pool.close()


def caller(roles: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """Stands in for the token check: `X-As: role tenant subject` (the real check is the
    chassis's, tested there); a role outside `roles` is refused as the real one refuses it."""

    async def principal(request: Request) -> Principal:
        role, tenant, subject = request.headers["x-as"].split()
        if role not in roles:
            raise Forbidden("error.forbidden")
        return Principal(subject=subject, role=role, tenant=tenant)  # type: ignore[arg-type]

    return principal


@pytest.fixture
async def http(pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app, Catalogue.load(ENROLMENT / "translations"))
    app.include_router(registry_api.router)
    app.dependency_overrides[registry_api.registry_db] = lambda: pool
    app.dependency_overrides[registry_api._staff] = caller(("counselor", "admin"))
    app.dependency_overrides[registry_api._admin] = caller(("admin",))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://enrolment") as client:
        yield client


ADMIN = {"x-as": "admin kanta-hame admin-1"}
COUNSELOR = {"x-as": "counselor kanta-hame kaisa"}
OTHER_ADMIN = {"x-as": "admin pirkanmaa admin-9"}


async def test_an_admin_keeps_units_and_counselors_read_them(http: httpx.AsyncClient) -> None:
    added = await http.post(
        "/registry/units",
        json={"code": "forssa-ktt", "name_fi": "Kuntouttava työtoiminta Forssa"},
        headers=ADMIN,
    )
    assert added.status_code == 201, added.text
    assert added.json()["active"] is True
    renamed = await http.put(
        "/registry/units/forssa-ktt",
        json={"name_fi": "KTT Forssa", "name_sv": "Arbetsverksamhet Forssa"},
        headers=ADMIN,
    )
    assert renamed.json()["name_sv"] == "Arbetsverksamhet Forssa"
    listed = await http.get("/registry/units", headers=COUNSELOR)
    assert [(u["code"], u["name_fi"]) for u in listed.json()["items"]] == [
        ("forssa-ktt", "KTT Forssa")
    ]
    retired = await http.post("/registry/units/forssa-ktt/retire", headers=ADMIN)
    assert retired.json()["active"] is False
    assert (await http.get("/registry/units", headers=COUNSELOR)).json()["items"] == []
    everything = await http.get("/registry/units?include_retired=true", headers=COUNSELOR)
    assert len(everything.json()["items"]) == 1


async def test_a_counselor_cannot_change_a_registry(http: httpx.AsyncClient) -> None:
    refused = await http.post(
        "/registry/cohorts", json={"code": "2026-syksy", "name_fi": "Syksy 2026"}, headers=COUNSELOR
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith(PROBLEM)


async def test_codes_and_names_are_checked(http: httpx.AsyncClient) -> None:
    for body in (
        {"code": "Syksy 2026", "name_fi": "Syksy"},
        {"code": "syksy", "name_fi": ""},
        {"code": "syksy", "name_fi": "a\u0000b"},
        {"code": "x" * 41, "name_fi": "Syksy"},
    ):
        response = await http.post("/registry/cohorts", json=body, headers=ADMIN)
        assert response.status_code == 422, body
    identity = await http.post(
        "/registry/cohorts", json={"code": "131052-308t", "name_fi": "Ryhmä"}, headers=ADMIN
    )
    assert identity.status_code == 422
    assert "henkilötunnukselta" in identity.json()["detail"]


async def test_the_same_code_twice_is_a_conflict_and_a_missing_one_is_not_found(
    http: httpx.AsyncClient,
) -> None:
    body = {"code": "2026-syksy", "name_fi": "Syksy 2026"}
    assert (await http.post("/registry/cohorts", json=body, headers=ADMIN)).status_code == 201
    again = await http.post("/registry/cohorts", json=body, headers=ADMIN)
    assert again.status_code == 409
    assert "2026-syksy" in again.json()["detail"]
    missing = await http.put("/registry/cohorts/nope", json={"name_fi": "X"}, headers=ADMIN)
    assert missing.status_code == 404
    swedish = await http.post(
        "/registry/cohorts/nope/retire", headers={**ADMIN, "accept-language": "sv"}
    )
    assert "Det finns ingen grupp" in swedish.json()["detail"]


async def test_each_tenant_sees_and_changes_only_its_own(http: httpx.AsyncClient) -> None:
    body = {"code": "keskus", "name_fi": "Keskus"}
    assert (await http.post("/registry/units", json=body, headers=ADMIN)).status_code == 201
    # The same code in another tenant is another unit.
    assert (await http.post("/registry/units", json=body, headers=OTHER_ADMIN)).status_code == 201
    other = await http.put(
        "/registry/units/keskus", json={"name_fi": "Tampereen keskus"}, headers=OTHER_ADMIN
    )
    assert other.status_code == 200
    mine = await http.get("/registry/units", headers=COUNSELOR)
    assert [u["name_fi"] for u in mine.json()["items"]] == ["Keskus"]


async def test_municipalities_are_the_tenants_own(http: httpx.AsyncClient) -> None:
    mine = (await http.get("/registry/municipalities", headers=COUNSELOR)).json()
    assert len(mine["items"]) == 11
    assert {"code": "109", "name_fi": "Hämeenlinna", "name_sv": "Tavastehus"} in mine["items"]
    theirs = (await http.get("/registry/municipalities", headers=OTHER_ADMIN)).json()
    assert "837" in {m["code"] for m in theirs["items"]}
    assert "061" not in {m["code"] for m in theirs["items"]}


async def test_staff_are_recorded_on_first_call_and_kept_by_the_admin(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    await http.get("/registry/units", headers=COUNSELOR)
    staff = (await http.get("/staff", headers=ADMIN)).json()["items"]
    assert {(s["subject"], s["role"], s["source"]) for s in staff} == {
        ("kaisa", "counselor", "token"),
        ("admin-1", "admin", "token"),
    }
    put = await http.put(
        "/staff/matti", json={"role": "counselor", "display_name": "Matti M."}, headers=ADMIN
    )
    assert put.json() == {
        "subject": "matti",
        "role": "counselor",
        "display_name": "Matti M.",
        "active": True,
        "source": "admin",
    }
    left = await http.delete("/staff/kaisa", headers=ADMIN)
    assert left.json()["active"] is False
    # Calling again with a token does not bring back someone the admin marked as left.
    await http.get("/registry/units", headers=COUNSELOR)
    active = (await http.get("/staff", headers=ADMIN)).json()["items"]
    assert "kaisa" not in {s["subject"] for s in active}
    assert (await http.delete("/staff/nobody", headers=ADMIN)).status_code == 404
    # Another tenant's directory is another list.
    theirs = (await http.get("/staff", headers=OTHER_ADMIN)).json()["items"]
    assert [s["subject"] for s in theirs] == ["admin-9"]
    async with pool.acquire() as connection:
        await check_counselor(connection, "kanta-hame", "matti")
        with pytest.raises(NotACounselor):
            await check_counselor(connection, "kanta-hame", "kaisa")
        with pytest.raises(UnknownReference):
            await check_counselor(connection, "pirkanmaa", "matti")


async def test_an_opening_names_only_known_things(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    await http.post("/registry/units", json={"code": "ktt", "name_fi": "KTT"}, headers=ADMIN)
    await http.post("/registry/cohorts", json={"code": "syksy", "name_fi": "S"}, headers=ADMIN)
    await http.put("/staff/kaisa", json={"role": "counselor"}, headers=ADMIN)
    await http.put("/staff/boss", json={"role": "manager"}, headers=ADMIN)

    async def refused(**changes: object) -> DomainError:
        values: dict[str, object] = {
            "municipality": "061",
            "unit": "ktt",
            "cohort": "syksy",
            "counselor_ids": ["kaisa"],
        }
        values.update(changes)
        async with pool.acquire() as connection, connection.transaction():
            with pytest.raises((UnknownReference, RetiredReference, NotACounselor)) as error:
                await check_opening(connection, "kanta-hame", **values)  # type: ignore[arg-type]
        return error.value

    async with pool.acquire() as connection:
        await check_opening(connection, "kanta-hame", "061", "ktt", "syksy", ["kaisa"])
    assert (await refused(municipality="837")).params["field"] == "municipality"
    assert (await refused(unit="other")).params["field"] == "unit"
    assert (await refused(cohort="other")).params["field"] == "cohort"
    assert (await refused(counselor_ids=["kaisa", "ghost"])).params["value"] == "ghost"
    assert isinstance(await refused(counselor_ids=["boss"]), NotACounselor)
    await http.post("/registry/cohorts/syksy/retire", headers=ADMIN)
    assert isinstance(await refused(), RetiredReference)
