"""Enrolment over HTTP against the running system: the identity vault, one open path per
client, a path's life to its end, and a client's erasure."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest

from chassis.clock import helsinki_today
from chassis.event_store import PostgresEventStore, create_pool, init_connection
from chassis.projector import Projector
from chassis.rebuild import rebuild_from_store
from contracts.topics import ENROLMENT_EVENTS
from contracts.upcasting import upcast
from deploy.system import RunningSystem
from services.enrolment.adapters.pathway_list import PATHWAY_LIST
from tests.support.api import open_path_body
from tests.support.identities import IdentityFactory, Person
from tests.support.registries import register


@pytest.fixture(scope="module")
def counselor(identities: IdentityFactory) -> Person:
    return identities.staff("counselor")


@pytest.fixture(scope="module")
def admin(identities: IdentityFactory) -> Person:
    return identities.staff("admin")


@pytest.fixture(scope="module")
def enrolment(system: RunningSystem) -> str:
    # Counselors these tests add to paths without them ever calling enrolment themselves.
    register(system, counselors=["staff-new", "staff-x"])
    return system.urls["enrolment"]


def keyed(person: Person, key: str | None = None, **headers: str) -> dict[str, str]:
    return {**person.headers, "Idempotency-Key": key or str(uuid4()), **headers}


def assert_problem(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return str(body["detail"])


def open_for(
    enrolment: str, counselor: Person, client: Person, key: str | None = None, **overrides: Any
) -> httpx.Response:
    return httpx.post(
        f"{enrolment}/pathways",
        json=open_path_body(client, **overrides),
        headers=keyed(counselor, key),
        timeout=10,
    )


def opened(enrolment: str, counselor: Person, client: Person, **overrides: Any) -> str:
    response = open_for(enrolment, counselor, client, **overrides)
    assert response.status_code == 201, response.text
    return str(response.json()["pathway_id"])


def fetch(system: RunningSystem, query: str, *args: object) -> list[asyncpg.Record]:
    """Rows straight from enrolment's own database (what is really stored)."""

    async def run() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(system.infrastructure.postgres.dsn_for("enrolment"))
        await init_connection(connection)  # jsonb as Python objects
        try:
            return list(await connection.fetch(query, *args))
        finally:
            await connection.close()

    return asyncio.run(run())


def test_the_counselor_sees_the_name_and_the_database_holds_only_ciphertext(
    system: RunningSystem,
    enrolment: str,
    counselor: Person,
    admin: Person,
    identities: IdentityFactory,
) -> None:
    client = identities.client()
    assert client.identity_code is not None
    first, last = "Aino-Äijä", f"Öhman-{uuid4().hex[:8]}"
    response = open_for(enrolment, counselor, client, first_name=f"  {first} ", last_name=last)
    assert response.status_code == 201, response.text
    pathway_id, client_ref = response.json()["pathway_id"], response.json()["client_ref"]

    seen = httpx.get(f"{enrolment}/pathways/{pathway_id}", headers=counselor.headers)
    assert seen.status_code == 200, seen.text
    assert seen.headers["ETag"] == '"1"'
    view = seen.json()
    assert (view["first_name"], view["last_name"]) == (first, last)
    assert view["personal_identity_code"] == client.identity_code
    assert (view["municipality"], view["status"], view["erased"]) == ("061", "active", False)
    by_admin = httpx.get(f"{enrolment}/pathways/{pathway_id}", headers=admin.headers).json()
    assert by_admin["last_name"] == last

    # Nobody else learns the path exists, and managers and clients may not ask at all.
    others = {
        404: [identities.staff("counselor"), identities.staff("admin", tenant="pirkanmaa")],
        403: [identities.staff("manager"), client],
    }
    for status, people in others.items():
        for person in people:
            response = httpx.get(f"{enrolment}/pathways/{pathway_id}", headers=person.headers)
            assert response.status_code == status, (person.subject, response.text)

    rows = fetch(
        system,
        "SELECT tenant, ciphertext FROM client_identities WHERE client_ref = $1",
        client_ref,
    )
    assert len(rows) == 1 and rows[0]["tenant"] == "kanta-hame"
    stored = bytes(rows[0]["ciphertext"])
    for secret in (first, last, client.identity_code, client.identity_code[:6]):
        for encoding in ("utf-8", "latin-1", "utf-16-le"):
            assert secret.encode(encoding, errors="ignore") not in stored, secret
    # Nor anywhere else: not in the events, not in the list table.
    for table in ("events", "pathway_list", "open_paths"):
        leaked = fetch(
            system,
            f"SELECT count(*) AS n FROM {table} t WHERE t::text LIKE $1 OR t::text LIKE $2",
            f"%{last}%",
            f"%{client.identity_code}%",
        )
        assert leaked[0]["n"] == 0, table


def test_one_open_path_per_client_and_a_retry_gets_the_first_result(
    enrolment: str, counselor: Person, identities: IdentityFactory
) -> None:
    client = identities.client()
    key = str(uuid4())
    first = open_for(enrolment, counselor, client, key)
    assert first.status_code == 201, first.text

    second = open_for(enrolment, counselor, client)
    detail = assert_problem(second, 409, "enrolment.client_has_open_path")
    assert detail.startswith("Asiakkaalla on jo")
    swedish = httpx.post(
        f"{enrolment}/pathways",
        json=open_path_body(client),
        headers=keyed(counselor, **{"Accept-Language": "sv"}),
    )
    assert assert_problem(swedish, 409, "enrolment.client_has_open_path").startswith("Klienten")

    retried = open_for(enrolment, counselor, client, key)
    assert retried.status_code == 200, retried.text
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json() == first.json()

    # Paused is still open; once it has ended, the client may start again.
    pathway_id = first.json()["pathway_id"]
    paused = httpx.post(
        f"{enrolment}/pathways/{pathway_id}/pause", json={}, headers=keyed(counselor)
    )
    assert paused.status_code == 200, paused.text
    assert_problem(open_for(enrolment, counselor, client), 409, "enrolment.client_has_open_path")
    ended = httpx.post(
        f"{enrolment}/pathways/{pathway_id}/discontinue",
        json={"reason": "health"},
        headers=keyed(counselor),
    )
    assert ended.status_code == 200, ended.text
    again = open_for(enrolment, counselor, client)
    assert again.status_code == 201, again.text
    assert again.json()["client_ref"] == first.json()["client_ref"]


def test_counselors_opening_at_the_same_moment_open_one_path(
    enrolment: str, identities: IdentityFactory
) -> None:
    client = identities.client()
    counselors = [identities.staff("counselor") for _ in range(6)]
    with ThreadPoolExecutor(len(counselors)) as pool:
        responses = list(pool.map(lambda c: open_for(enrolment, c, client), counselors))
    codes = sorted(response.status_code for response in responses)
    assert codes == [201] + [409] * 5, [r.text for r in responses]


def test_a_path_pauses_with_a_reason_resumes_completes_and_then_stays_closed(
    system: RunningSystem, enrolment: str, counselor: Person, identities: IdentityFactory
) -> None:
    pathway_id = opened(enrolment, counselor, identities.client())
    path = f"{enrolment}/pathways/{pathway_id}"

    paused = httpx.post(
        f"{path}/pause", json={"reason": "illness"}, headers=keyed(counselor, **{"If-Match": '"1"'})
    )
    assert paused.status_code == 200, paused.text
    assert paused.json()["status"] == "paused" and paused.headers["ETag"] == '"2"'
    assert "first_name" not in paused.json()  # a command's answer carries no identity

    stale = httpx.post(f"{path}/resume", json={}, headers=keyed(counselor, **{"If-Match": '"1"'}))
    assert_problem(stale, 409, "error.conflict")
    resumed = httpx.post(f"{path}/resume", json={}, headers=keyed(counselor, **{"If-Match": '"2"'}))
    assert resumed.json()["status"] == "active", resumed.text

    key = str(uuid4())
    completed = httpx.post(f"{path}/complete", headers=keyed(counselor, key))
    assert completed.status_code == 200, completed.text
    assert completed.json()["status"] == "completed"
    retried = httpx.post(f"{path}/complete", headers=keyed(counselor, key))
    assert retried.status_code == 200 and retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json()["version"] == completed.json()["version"] == 4

    for command, body in [
        ("pause", {}),
        ("resume", {}),
        ("complete", {}),
        ("discontinue", {"reason": "employed"}),
        ("counselors", {"counselor_id": "staff-new"}),
    ]:
        refused = httpx.post(f"{path}/{command}", json=body, headers=keyed(counselor))
        detail = assert_problem(refused, 409, "enrolment.pathway_closed")
        assert detail == "Polku on jo päättynyt, eikä sitä voi enää muuttaa."

    events = fetch(
        system,
        "SELECT event_type, payload FROM events WHERE stream_id = $1 ORDER BY stream_version",
        pathway_id,
    )
    assert [e["event_type"] for e in events] == [
        "PathwayOpened",
        "PathwayPaused",
        "PathwayResumed",
        "PathwayCompleted",
    ]
    assert events[1]["payload"]["reason"] == "illness"

    listed = httpx.get(
        f"{enrolment}/pathways", params={"status": "completed"}, headers=counselor.headers
    ).json()
    assert pathway_id in [item["pathway_id"] for item in listed["items"]]
    active = httpx.get(
        f"{enrolment}/pathways", params={"status": "active"}, headers=counselor.headers
    ).json()
    assert pathway_id not in [item["pathway_id"] for item in active["items"]]


def test_discontinuing_takes_a_reason_from_the_list(
    system: RunningSystem, enrolment: str, counselor: Person, identities: IdentityFactory
) -> None:
    pathway_id = opened(enrolment, counselor, identities.client())
    path = f"{enrolment}/pathways/{pathway_id}"
    for bad in ({"reason": "bored"}, {}, {"reason": "employed", "note": "free text"}):
        assert_problem(
            httpx.post(f"{path}/discontinue", json=bad, headers=keyed(counselor)),
            422,
            "error.validation",
        )
    future = (helsinki_today() + timedelta(days=1)).isoformat()
    assert_problem(
        httpx.post(
            f"{path}/discontinue",
            json={"reason": "employed", "discontinued_on": future},
            headers=keyed(counselor),
        ),
        422,
        "enrolment.date_in_future",
    )
    ended = httpx.post(
        f"{path}/discontinue",
        json={"reason": "studies", "discontinued_on": helsinki_today().isoformat()},
        headers=keyed(counselor),
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "discontinued"
    payload = fetch(
        system, "SELECT payload FROM events WHERE stream_id = $1 AND stream_version = 2", pathway_id
    )[0]["payload"]
    assert payload["reason"] == "studies"
    assert payload["discontinued_on"] == helsinki_today().isoformat()


def test_counselors_are_assigned_and_each_lists_their_own_paths(
    system: RunningSystem,
    enrolment: str,
    counselor: Person,
    admin: Person,
    identities: IdentityFactory,
) -> None:
    colleague = identities.staff("counselor")
    register(system, counselors=[colleague.subject])  # never called enrolment themselves
    pathway_id = opened(enrolment, counselor, identities.client(), last_name="Listattava")
    path = f"{enrolment}/pathways/{pathway_id}"

    def listed_by(person: Person, **params: Any) -> dict[str, Any]:
        """Every page of the person's list."""
        items: dict[str, Any] = {}
        after: str | None = None
        while True:
            response = httpx.get(
                f"{enrolment}/pathways",
                params={**params, "limit": 20, **({"after": after} if after else {})},
                headers=person.headers,
            )
            assert response.status_code == 200, response.text
            page = response.json()
            items |= {item["pathway_id"]: item for item in page["items"]}
            after = page["next_after"]
            if after is None:
                return items

    assert pathway_id not in listed_by(colleague)
    added = httpx.post(
        f"{path}/counselors", json={"counselor_id": colleague.subject}, headers=keyed(counselor)
    )
    assert added.status_code == 200, added.text
    assert added.json()["counselor_ids"] == [counselor.subject, colleague.subject]
    row = listed_by(colleague, status="active")[pathway_id]
    assert (row["last_name"], row["municipality"], row["cohort"]) == (
        "Listattava",
        "061",
        "2026-syksy",
    )
    assert set(row) >= {"client_ref", "status", "start_date", "unit", "counselor_ids"}
    assert pathway_id in listed_by(admin)  # an admin lists the whole tenant
    assert httpx.get(path, headers=admin.headers).status_code == 200

    not_there = httpx.post(
        f"{path}/counselors",
        json={"counselor_id": "staff-x", "replaces": "staff-nobody"},
        headers=keyed(colleague),
    )
    assert_problem(not_there, 409, "enrolment.replaced_counselor_not_assigned")
    handed_over = httpx.post(
        f"{path}/counselors",
        json={"counselor_id": colleague.subject, "replaces": counselor.subject},
        headers=keyed(colleague),
    )
    assert handed_over.json()["counselor_ids"] == [colleague.subject], handed_over.text
    assert httpx.get(path, headers=counselor.headers).status_code == 404
    assert pathway_id not in listed_by(counselor)

    for person, status in [(identities.staff("manager"), 403), (identities.client(), 403)]:
        assert httpx.get(f"{enrolment}/pathways", headers=person.headers).status_code == status
        refused = httpx.post(f"{path}/pause", json={}, headers=keyed(person))
        assert refused.status_code == status, refused.text
    elsewhere = identities.staff("admin", tenant="pirkanmaa")
    assert_problem(
        httpx.post(f"{path}/pause", json={}, headers=keyed(elsewhere)), 404, "error.not_found"
    )
    assert pathway_id not in listed_by(elsewhere)


def test_an_admin_erases_a_client_from_every_path(
    system: RunningSystem,
    enrolment: str,
    counselor: Person,
    admin: Person,
    identities: IdentityFactory,
) -> None:
    client = identities.client()
    earlier = opened(enrolment, counselor, client, last_name="Poistettava")
    done = httpx.post(f"{enrolment}/pathways/{earlier}/complete", headers=keyed(counselor))
    assert done.status_code == 200, done.text
    response = open_for(enrolment, counselor, client, last_name="Poistettava")
    assert response.status_code == 201, response.text
    current, client_ref = response.json()["pathway_id"], response.json()["client_ref"]
    erasure = f"{enrolment}/clients/{client_ref}/erasure"
    body = {"reason": "client_request"}

    for person in (counselor, identities.staff("manager"), client):
        assert_problem(
            httpx.post(erasure, json=body, headers=keyed(person)), 403, "error.forbidden"
        )
    elsewhere = identities.staff("admin", tenant="pirkanmaa")
    assert_problem(httpx.post(erasure, json=body, headers=keyed(elsewhere)), 404, "error.not_found")
    # A code from the fixed list, never typed text (decision 0025).
    for typed in ("", "Asiakkaan pyyntö, dnro 2026-123"):
        refused = httpx.post(erasure, json={"reason": typed}, headers=keyed(admin))
        assert_problem(refused, 422, "error.validation")

    key = str(uuid4())
    erased = httpx.post(erasure, json=body, headers=keyed(admin, key))
    assert erased.status_code == 200, erased.text
    assert sorted(erased.json()["pathway_ids"]) == sorted([earlier, current])
    retried = httpx.post(erasure, json=body, headers=keyed(admin, key))
    assert retried.status_code == 200 and retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json() == erased.json()
    again = httpx.post(erasure, json=body, headers=keyed(admin))
    assert_problem(again, 409, "enrolment.already_erased")

    for pathway_id, status in [(earlier, "completed"), (current, "discontinued")]:
        view = httpx.get(f"{enrolment}/pathways/{pathway_id}", headers=counselor.headers).json()
        assert view["erased"] is True and view["status"] == status
        assert view["first_name"] is view["last_name"] is view["personal_identity_code"] is None
    row = httpx.get(
        f"{enrolment}/pathways", params={"status": "discontinued"}, headers=counselor.headers
    ).json()["items"]
    assert [item["last_name"] for item in row if item["pathway_id"] == current] == [None]

    assert fetch(system, "SELECT 1 FROM client_identities WHERE client_ref = $1", client_ref) == []
    assert fetch(system, "SELECT 1 FROM open_paths WHERE client_ref = $1", client_ref) == []
    events = fetch(
        system,
        "SELECT stream_id, event_type, payload FROM events WHERE stream_id = ANY($1::text[])"
        " AND event_type IN ('PathwayDiscontinued', 'ClientDataErased') ORDER BY stream_version",
        [earlier, current],
    )
    by_path = {
        pathway_id: [
            (e["event_type"], e["payload"].get("reason"))
            for e in events
            if e["stream_id"] == pathway_id
        ]
        for pathway_id in (earlier, current)
    }
    assert by_path[earlier] == [("ClientDataErased", None)]
    assert by_path[current] == [("PathwayDiscontinued", "other"), ("ClientDataErased", None)]
    record = fetch(
        system, "SELECT erased_by, reason FROM client_erasures WHERE client_ref = $1", client_ref
    )
    assert [(r["erased_by"], r["reason"]) for r in record] == [(admin.subject, body["reason"])]

    # A closed, erased path takes no more commands; the client may be enrolled anew.
    closed = httpx.post(f"{enrolment}/pathways/{current}/resume", json={}, headers=keyed(admin))
    assert_problem(closed, 409, "enrolment.pathway_closed")
    assert open_for(enrolment, counselor, client).status_code == 201


def test_bad_input_to_opening_is_refused_in_finnish(
    enrolment: str, counselor: Person, identities: IdentityFactory
) -> None:
    client = identities.client()
    too_early = (helsinki_today() - timedelta(days=8)).isoformat()
    assert_problem(
        open_for(enrolment, counselor, client, start_date=too_early),
        422,
        "enrolment.start_date_too_early",
    )
    body = open_path_body(client)
    del body["first_name"]
    missing = httpx.post(f"{enrolment}/pathways", json=body, headers=keyed(counselor))
    assert "first_name" in assert_problem(missing, 422, "error.validation")
    for bad, field in (({"last_name": "   "}, "Sukunimi"), ({"first_name": "x" * 101}, "Etunimi")):
        refused = open_for(enrolment, counselor, client, **bad)
        assert field in assert_problem(refused, 422, "error.invalid_text")
    assert_problem(
        open_for(enrolment, counselor, client, personal_identity_code="131052-308U"),
        422,
        "enrolment.invalid_identity_code",
    )
    # Nothing of the refused attempts stayed: the client can still be enrolled.
    assert open_for(enrolment, counselor, client).status_code == 201


def test_the_path_list_rebuilds_from_the_store_to_the_live_rows(
    system: RunningSystem, enrolment: str, counselor: Person, identities: IdentityFactory
) -> None:
    pathway_id = opened(enrolment, counselor, identities.client())
    pause = {"paused_on": None, "reason": "illness"}
    paused = httpx.post(
        f"{enrolment}/pathways/{pathway_id}/pause", json=pause, headers=keyed(counselor)
    )
    assert paused.status_code == 200, paused.text
    query = "SELECT * FROM pathway_list ORDER BY pathway_id"

    async def rebuild() -> int:
        pool = await create_pool(system.infrastructure.postgres.dsn_for("enrolment"), max_size=2)
        try:
            projector = Projector(pool, PATHWAY_LIST)
            store = PostgresEventStore(pool, upcast)
            return await rebuild_from_store(projector, store, ENROLMENT_EVENTS)
        finally:
            await pool.close()

    live = [dict(row) for row in fetch(system, query)]
    assert any(row["pathway_id"] == UUID(pathway_id) and row["status"] == "paused" for row in live)
    assert asyncio.run(rebuild()) >= 2
    assert [dict(row) for row in fetch(system, query)] == live


def test_one_key_for_a_second_client_is_refused_and_that_client_can_still_be_enrolled(
    enrolment: str, counselor: Person, identities: IdentityFactory
) -> None:
    first, second = identities.client(), identities.client()
    key = str(uuid4())
    assert open_for(enrolment, counselor, first, key).status_code == 201
    same = open_for(enrolment, counselor, first, key)
    assert same.status_code == 200 and same.headers["Idempotent-Replayed"] == "true"
    other = open_for(enrolment, counselor, second, key)
    detail = assert_problem(other, 422, "error.idempotency_key_reused")
    assert "Idempotency-Key" in detail and "idempotency_key_reused" not in detail
    assert open_for(enrolment, counselor, second).status_code == 201
