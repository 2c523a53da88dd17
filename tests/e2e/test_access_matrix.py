"""Every endpoint × every kind of caller × own/other resource: who gets in, and how the others
are refused (issue 4, item 6).

The rules are in tests/support/matrix.py: 403 for a role that may never use the endpoint,
404 for the right role on someone else's resource (indistinguishable from a path that does
not exist: every such 404 is compared with the answer for a made-up id), 401 without a token.
The endpoints are read from each service's openapi.json, and a test fails when one appears
that the matrix does not cover (or the matrix names one that is gone).

Callers (tests/support/matrix.py `Who`): the path's own counselor, another counselor of the
tenant, the tenant's admin, an admin of another tenant, the tenant's manager, the path's own
client, another client (with a path of their own) and nobody (no token).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from deploy.system import SERVICES, RunningSystem
from tests.support.api import open_path_body, wait_for_plan
from tests.support.identities import IdentityFactory, Person
from tests.support.matrix import (
    AGGREGATES,
    ALLOWED,
    CASEWORK,
    CLIENT_SELF,
    PATH_CLIENT,
    PATH_SHARED,
    PATH_STAFF,
    PATH_THREAD,
    PRINCIPALS,
    SEES_TARGET,
    Call,
    Endpoint,
    Target,
    TargetKind,
    Who,
    admin_only,
)
from tests.support.registries import register
from tests.support.waiting import eventually

OTHER_TENANT = "pirkanmaa"
# A unit and a cohort of the tenant only, for renaming and retiring (nothing opens in them).
MATRIX_ENTRY = "matrix-entry"
OTHER_TENANT_COUNSELOR = "matrix-counselor-pirkanmaa"
TIMEOUT = httpx.Timeout(10.0)
# Operational and documentation routes, open to all by design; not client data.
UNGUARDED_PREFIXES = ("/healthz", "/readyz", "/asyncapi", "/docs", "/openapi.json", "/redoc")


def _pathway_ids(items: list[dict[str, Any]]) -> set[str]:
    return {str(item["pathway_id"]) for item in items}


def _items(body: Any) -> set[str]:
    return _pathway_ids(body["items"])


def _rows(body: Any) -> set[str]:
    return _pathway_ids(body)


def _one(body: Any) -> set[str]:
    return {str(body["pathway_id"])}


def _access_log(client_ref: str) -> Call:
    return Call("/access-log", params={"client_ref": client_ref})


def _in_a_day() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat()


# A manager may never read or act on one client's data: the rule says 403. These endpoints let
# every role through to the path's access check (`Depends(current_principal)` instead of
# `require_role(...)`), where a manager is simply "not allowed" and gets the 404 meant for a
# resource of someone else.


def _fixed(path: str, json: Any = None) -> Callable[[Target], Call]:
    """A call that does not depend on the target (the tenant's registries)."""
    return lambda t: Call(path, json=json)


def _new_entry(kind: str) -> Callable[[Target], Call]:
    """Adding a unit or cohort: a new code every time, so each allowed call really adds."""

    def call(t: Target) -> Call:
        return Call(f"/registry/{kind}", json={"code": f"matrix-{uuid4().hex[:8]}", "name_fi": "M"})

    return call


ENDPOINTS: tuple[Endpoint, ...] = (
    # --- enrolment :8001 ---------------------------------------------------------------------
    Endpoint(
        "enrolment",
        "POST",
        "/pathways",
        CASEWORK,  # an admin of another tenant opens it in their own tenant
        lambda t: Call("/pathways", json=open_path_body(t.client)),
        target="new_client",
    ),
    Endpoint(
        "enrolment",
        "GET",
        "/pathways",
        CASEWORK,
        lambda t: Call("/pathways", params={"limit": "500"}),
        shows=_items,
    ),
    Endpoint(
        "enrolment",
        "GET",
        "/pathways/{pathway_id}",
        PATH_STAFF,
        lambda t: Call(f"/pathways/{t.pathway_id}"),
    ),
    # The path commands each get a throwaway path, opened by the own counselor, so that the
    # allowed ones really happen (and a wrongly allowed one harms nothing else).
    Endpoint(
        "enrolment",
        "POST",
        "/pathways/{pathway_id}/pause",
        PATH_STAFF,
        lambda t: Call(f"/pathways/{t.pathway_id}/pause", json={"reason": "illness"}),
        target="throwaway",
    ),
    Endpoint(
        "enrolment",
        "POST",
        "/pathways/{pathway_id}/resume",
        PATH_STAFF,
        lambda t: Call(f"/pathways/{t.pathway_id}/resume", json={}),
        target="paused",
    ),
    Endpoint(
        "enrolment",
        "POST",
        "/pathways/{pathway_id}/complete",
        PATH_STAFF,
        lambda t: Call(f"/pathways/{t.pathway_id}/complete", json={}),
        target="throwaway",
    ),
    Endpoint(
        "enrolment",
        "POST",
        "/pathways/{pathway_id}/discontinue",
        PATH_STAFF,
        lambda t: Call(f"/pathways/{t.pathway_id}/discontinue", json={"reason": "moved"}),
        target="throwaway",
    ),
    Endpoint(
        "enrolment",
        "POST",
        "/pathways/{pathway_id}/counselors",
        PATH_STAFF,
        lambda t: Call(
            f"/pathways/{t.pathway_id}/counselors", json={"counselor_id": "matrix-substitute"}
        ),
        target="throwaway",
    ),
    # A client's own reference (decision 0025): each client gets theirs, staff never.
    Endpoint("enrolment", "GET", "/me/reference", CLIENT_SELF, lambda t: Call("/me/reference")),
    Endpoint(
        "enrolment",
        "POST",
        "/clients/{client_ref}/erasure",
        # Another tenant's admin: the client is not one of theirs, so 404 (as for a made-up ref).
        admin_only(other_tenant=404),
        lambda t: Call(f"/clients/{t.client_ref}/erasure", json={"reason": "client_request"}),
        target="throwaway",
    ),
    # The access log is per tenant: another tenant's admin is allowed the endpoint and gets
    # their own tenant's (empty) log for this client_ref; it must not show the path.
    Endpoint(
        "enrolment",
        "GET",
        "/access-log",
        admin_only(other_tenant=ALLOWED),
        lambda t: _access_log(t.client_ref),
        shows=_items,
    ),
    # The tenant's registries (decision 0015): counselors and admins read them, each their own
    # tenant's; only admins change them. Another tenant's admin adds to their own registry
    # and does not find this tenant's entries (404).
    *(
        Endpoint(
            "enrolment",
            "GET",
            f"/registry/{kind}",
            CASEWORK,
            _fixed(f"/registry/{kind}"),
        )
        for kind in ("municipalities", "units", "cohorts")
    ),
    Endpoint("enrolment", "GET", "/staff", CASEWORK, lambda t: Call("/staff")),
    *(
        Endpoint(
            "enrolment",
            "POST",
            f"/registry/{kind}",
            admin_only(other_tenant=ALLOWED),
            _new_entry(kind),
        )
        for kind in ("units", "cohorts")
    ),
    *(
        Endpoint(
            "enrolment",
            "PUT",
            f"/registry/{kind}/{{code}}",
            admin_only(other_tenant=404),
            _fixed(f"/registry/{kind}/{MATRIX_ENTRY}", {"name_fi": "Matriisi"}),
        )
        for kind in ("units", "cohorts")
    ),
    *(
        Endpoint(
            "enrolment",
            "POST",
            f"/registry/{kind}/{{code}}/retire",
            admin_only(other_tenant=404),
            _fixed(f"/registry/{kind}/{MATRIX_ENTRY}/retire"),
        )
        for kind in ("units", "cohorts")
    ),
    Endpoint(
        "enrolment",
        "PUT",
        "/staff/{subject}",
        admin_only(other_tenant=ALLOWED),  # in their own tenant's directory
        lambda t: Call("/staff/matrix-substitute", json={"role": "counselor"}),
    ),
    Endpoint(
        "enrolment",
        "DELETE",
        "/staff/{subject}",
        admin_only(other_tenant=404),
        lambda t: Call("/staff/matrix-leaver"),
    ),
    # --- tasks :8002 -------------------------------------------------------------------------
    Endpoint(
        "tasks",
        "GET",
        "/me/plan",
        CLIENT_SELF,  # the other client gets their own plan, never this one
        lambda t: Call("/me/plan"),
        shows=_one,
    ),
    Endpoint(
        "tasks",
        "GET",
        "/pathways/{pathway_id}/plan",
        PATH_SHARED,
        lambda t: Call(f"/pathways/{t.pathway_id}/plan"),
    ),
    Endpoint(
        "tasks",
        "POST",
        "/pathways/{pathway_id}/tasks/{task_id}/answers",
        PATH_CLIENT,  # only the own client is allowed: one real answer, to an unanswered task
        lambda t: Call(
            f"/pathways/{t.pathway_id}/tasks/{t.unanswered_task_id}/answers",
            json={"text": "Olen hyvä kuuntelemaan."},
        ),
    ),
    Endpoint(
        "tasks",
        "POST",
        "/pathways/{pathway_id}/direction",
        PATH_CLIENT,
        lambda t: Call(
            f"/pathways/{t.pathway_id}/direction", json={"direction": "work", "reason": "Töihin."}
        ),
        # The direction is chosen in week 5; the path is in week 1–3. The week is checked in
        # choose_direction, after load_visible and the role check, so 422 means "let in".
        domain_refusal=(422, "tasks.direction_not_yet"),
    ),
    Endpoint(
        "tasks",
        "POST",
        "/pathways/{pathway_id}/self-assessments/{phase}",
        PATH_CLIENT,
        lambda t: Call(f"/pathways/{t.pathway_id}/self-assessments/final", json={"scores": {}}),
        # The final self-assessment opens in week 12; the path is in week 1–3. The week is
        # checked in submit_self_assessment after load_visible, so 422 means "let in".
        domain_refusal=(422, "tasks.assessment_final_not_yet"),
    ),
    Endpoint(
        "tasks",
        "POST",
        "/pathways/{pathway_id}/weeks/open-next",
        PATH_STAFF,  # two allowed calls: the shared path ends up in week 3 at most
        lambda t: Call(f"/pathways/{t.pathway_id}/weeks/open-next"),
    ),
    Endpoint(
        "tasks",
        "POST",
        "/pathways/{pathway_id}/direction/change",
        PATH_STAFF,
        lambda t: Call(f"/pathways/{t.pathway_id}/direction/change", json={"direction": "work"}),
        # No direction has been chosen yet, so there is none to change: checked in
        # change_direction after load_visible and the staff check, so 422 means "let in".
        domain_refusal=(422, "tasks.direction_not_chosen"),
    ),
    Endpoint(
        "tasks",
        "GET",
        "/pathways/{pathway_id}/answers",
        PATH_SHARED,
        lambda t: Call(f"/pathways/{t.pathway_id}/answers"),
    ),
    Endpoint(
        "tasks",
        "GET",
        "/pathways/{pathway_id}/summary",
        PATH_SHARED,
        lambda t: Call(f"/pathways/{t.pathway_id}/summary"),
    ),
    Endpoint(
        "tasks",
        "GET",
        "/access-log",
        admin_only(other_tenant=ALLOWED),
        lambda t: _access_log(t.client_ref),
        shows=_items,
    ),
    # --- guidance :8003 ----------------------------------------------------------------------
    Endpoint("guidance", "GET", "/caseload", CASEWORK, lambda t: Call("/caseload"), shows=_rows),
    Endpoint(
        "guidance",
        "GET",
        "/caseload/stream",
        CASEWORK,
        lambda t: Call("/caseload/stream"),
        stream=True,
    ),
    Endpoint(
        "guidance",
        "GET",
        "/pathways/{pathway_id}/meetings",
        PATH_SHARED,
        lambda t: Call(f"/pathways/{t.pathway_id}/meetings"),
        staff_only_keys=("notes",),  # the counselors' meeting notes
    ),
    Endpoint(
        "guidance",
        "POST",
        "/pathways/{pathway_id}/meetings/{meeting_id}/notes",
        PATH_STAFF,
        lambda t: Call(
            f"/pathways/{t.pathway_id}/meetings/{t.meeting_id}/notes",
            json={"text": "Käytiin läpi vahvuudet."},
        ),
    ),
    Endpoint(
        "guidance",
        "POST",
        "/pathways/{pathway_id}/meeting-requests",
        PATH_SHARED,  # 201, or 200 when the same request is already waiting
        lambda t: Call(f"/pathways/{t.pathway_id}/meeting-requests", json={"task_id": None}),
    ),
    Endpoint(
        "guidance",
        "PUT",
        "/pathways/{pathway_id}/meetings/{meeting_id}",
        PATH_STAFF,  # (re)schedules the requested meeting: 204 each time
        lambda t: Call(
            f"/pathways/{t.pathway_id}/meetings/{t.meeting_id}",
            json={"starts_at": _in_a_day(), "mode": "phone", "task_ids": []},
        ),
    ),
    Endpoint(
        "guidance",
        "POST",
        "/pathways/{pathway_id}/meetings/{meeting_id}/outcome",
        PATH_STAFF,  # marks the scheduled meeting held: 204, and 204 again (already held)
        lambda t: Call(
            f"/pathways/{t.pathway_id}/meetings/{t.scheduled_meeting_id}/outcome",
            json={"held": True},
        ),
    ),
    Endpoint(
        "guidance",
        "POST",
        "/pathways/{pathway_id}/answers/{answer_id}/feedback",
        PATH_STAFF,  # each allowed call adds feedback: 201
        lambda t: Call(
            f"/pathways/{t.pathway_id}/answers/{t.answer_id}/feedback",
            json={"text": "Hienoa pohdintaa!"},
        ),
    ),
    Endpoint(
        "guidance",
        "GET",
        "/pathways/{pathway_id}/feedback",
        PATH_SHARED,
        lambda t: Call(f"/pathways/{t.pathway_id}/feedback"),
    ),
    Endpoint(
        "guidance",
        "POST",
        "/pathways/{pathway_id}/messages",
        PATH_THREAD,  # each allowed call adds a message: 201
        lambda t: Call(f"/pathways/{t.pathway_id}/messages", json={"text": "Hei!"}),
    ),
    Endpoint(
        "guidance",
        "GET",
        "/pathways/{pathway_id}/messages",
        PATH_THREAD,
        lambda t: Call(f"/pathways/{t.pathway_id}/messages"),
    ),
    Endpoint(
        "guidance",
        "GET",
        "/pathways/{pathway_id}/messages/unread",
        PATH_THREAD,
        lambda t: Call(f"/pathways/{t.pathway_id}/messages/unread"),
    ),
    Endpoint(
        "guidance",
        "POST",
        "/pathways/{pathway_id}/outcomes",
        PATH_STAFF,
        lambda t: Call(
            f"/pathways/{t.pathway_id}/outcomes",
            json={
                "follow_up": "end",
                "outcome": "employed",
                "outcome_date": datetime.now(UTC).date().isoformat(),
            },
        ),
        # The shared path is running: an outcome waits for its end. Checked in record_outcome
        # after require_access(staff_only=True), so 422 means "let in".
        domain_refusal=(422, "guidance.path_not_ended"),
    ),
    Endpoint(
        "guidance",
        "GET",
        "/pathways/{pathway_id}/outcomes",
        PATH_STAFF,
        lambda t: Call(f"/pathways/{t.pathway_id}/outcomes"),
    ),
    Endpoint(
        "guidance",
        "GET",
        "/access-log",
        admin_only(other_tenant=ALLOWED),
        lambda t: _access_log(t.client_ref),
        shows=_items,
    ),
    # --- reporting :8004 ---------------------------------------------------------------------
    # require_role("manager", "admin"): the figures are the manager's view, and the admin runs
    # the tenant; a counselor's work is one client at a time, so counselors are refused (403).
    # Each caller gets their own tenant's figures (small groups hidden).
    Endpoint("reporting", "GET", "/figures", AGGREGATES, lambda t: Call("/figures")),
    Endpoint(
        "reporting", "GET", "/figures/compare", AGGREGATES, lambda t: Call("/figures/compare")
    ),
    # Reporting records no reads of client data, so its log is empty: no `shows` check.
    Endpoint(
        "reporting",
        "GET",
        "/access-log",
        admin_only(other_tenant=ALLOWED),
        lambda t: _access_log(t.client_ref),
    ),
)


def _cases() -> Iterator[Any]:
    for endpoint in ENDPOINTS:
        for who in PRINCIPALS:
            yield pytest.param(endpoint, who, id=f"{endpoint.name}-{who}")


@dataclass(frozen=True)
class World:
    """Everyone who calls, and the shared path they call about (client A's, counselor 1's)."""

    system: RunningSystem
    identities: IdentityFactory
    http: httpx.Client
    people: dict[Who, Person]  # all but own_client (the target's) and anonymous
    shared: Target

    def url(self, service: str, path: str) -> str:
        return f"{self.system.urls[service]}{path}"

    def headers(self, who: Who, target: Target) -> dict[str, str]:
        if who == "anonymous":
            return {}
        if who == "own_client":
            return target.client.headers
        return self.people[who].headers

    def target(self, kind: TargetKind) -> Target:
        if kind == "shared":
            return self.shared
        client = self.identities.client()
        if kind == "new_client":
            return replace(self.shared, client=client)
        counselor = self.people["own_counselor"]
        pathway_id, client_ref = open_path(self.system, self.http, counselor, client)
        if kind == "paused":
            paused = self.http.post(
                self.url("enrolment", f"/pathways/{pathway_id}/pause"),
                json={},
                headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
            )
            assert paused.status_code == 200, paused.text
        return replace(self.shared, pathway_id=pathway_id, client=client, client_ref=client_ref)


def open_path(
    system: RunningSystem, http: httpx.Client, counselor: Person, client: Person
) -> tuple[str, str]:
    """Open a path for the client; its pathway_id and the client's pseudonym (client_ref)."""
    response = http.post(
        f"{system.urls['enrolment']}/pathways",
        json=open_path_body(client),
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return str(body["pathway_id"]), str(body["client_ref"])


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=TIMEOUT) as client:
        yield client


@pytest.fixture(scope="module")
def world(system: RunningSystem, identities: IdentityFactory, http: httpx.Client) -> World:
    own_counselor = identities.staff("counselor", subject="matrix-counselor-1")
    other_counselor = identities.staff("counselor", subject="matrix-counselor-2")
    people: dict[Who, Person] = {
        "own_counselor": own_counselor,
        "other_counselor": other_counselor,
        "admin": identities.staff("admin", subject="matrix-admin"),
        "other_tenant_admin": identities.staff(
            "admin", tenant=OTHER_TENANT, subject="matrix-admin-pirkanmaa"
        ),
        "manager": identities.staff("manager", subject="matrix-manager"),
        "other_client": identities.client(),
    }
    client_a = identities.client()
    register(
        system,
        units=[MATRIX_ENTRY],
        cohorts=[MATRIX_ENTRY],
        counselors=["matrix-substitute", "matrix-leaver"],
    )
    register(system, tenant=OTHER_TENANT, counselors=[OTHER_TENANT_COUNSELOR])

    # Path A: client A's, opened by counselor 1. Path B: the other client's, counselor 2's.
    pathway_id, client_ref = open_path(system, http, own_counselor, client_a)
    open_path(system, http, other_counselor, people["other_client"])
    week_one = [task["task_id"] for task in wait_for_plan(system, client_a)["weeks"][0]["tasks"]]
    wait_for_plan(system, people["other_client"])
    assert len(week_one) >= 2, week_one

    def path_url(service: str, rest: str) -> str:
        return f"{system.urls[service]}/pathways/{pathway_id}{rest}"

    def keyed(person: Person) -> dict[str, str]:
        return {**person.headers, "Idempotency-Key": str(uuid4())}

    answered = http.post(
        path_url("tasks", f"/tasks/{week_one[0]}/answers"),
        json={"text": "Pidän ihmisten auttamisesta."},
        headers=keyed(client_a),
    )
    assert answered.status_code == 201, answered.text
    answer_id = str(answered.json()["answer_id"])

    # Empty feedback records nothing: 404 until guidance has seen the path and the answer.
    def guidance_has_the_answer() -> bool:
        probe = http.post(
            path_url("guidance", f"/answers/{answer_id}/feedback"),
            json={"text": " "},
            headers=own_counselor.headers,
        )
        return probe.status_code == 422

    eventually(guidance_has_the_answer, what="client A's answer in guidance")

    requested = http.post(
        path_url("guidance", "/meeting-requests"), json={"task_id": None}, headers=keyed(client_a)
    )
    assert requested.status_code == 201, requested.text
    scheduled_meeting_id = str(uuid4())
    scheduled = http.put(
        path_url("guidance", f"/meetings/{scheduled_meeting_id}"),
        json={"starts_at": _in_a_day(), "mode": "in_person", "task_ids": []},
        headers=keyed(own_counselor),
    )
    assert scheduled.status_code == 204, scheduled.text

    # One staff read of client A in each service that keeps a log of them, so that the
    # tenant's admin has something to find in every access log (and the other tenant's not).
    for service, rest in (("enrolment", ""), ("tasks", "/plan"), ("guidance", "/feedback")):
        read = http.get(path_url(service, rest), headers=own_counselor.headers)
        assert read.status_code == 200, read.text

    shared = Target(
        pathway_id=pathway_id,
        client=client_a,
        client_ref=client_ref,
        unanswered_task_id=week_one[1],
        answer_id=answer_id,
        meeting_id=str(requested.json()["meeting_id"]),
        scheduled_meeting_id=scheduled_meeting_id,
    )
    return World(system, identities, http, people, shared)


# An admin is no path counselor (decision 0015): opening a path, they name a counselor of
# their own tenant, in a municipality of their own tenant.
OPENED_BY_ADMIN: dict[Who, dict[str, Any]] = {
    "admin": {"counselor_ids": ["matrix-counselor-1"]},
    "other_tenant_admin": {"municipality": "837", "counselor_ids": [OTHER_TENANT_COUNSELOR]},
}


def send(world: World, endpoint: Endpoint, who: Who, target: Target) -> httpx.Response:
    call = endpoint.call(target)
    if endpoint.key == ("enrolment", "POST", "/pathways") and who in OPENED_BY_ADMIN:
        call = replace(call, json={**call.json, **OPENED_BY_ADMIN[who]})
    headers = world.headers(who, target)
    if endpoint.method != "GET":
        headers["Idempotency-Key"] = str(uuid4())
    request = world.http.build_request(
        endpoint.method,
        world.url(endpoint.service, call.path),
        json=call.json,
        params=dict(call.params),
        headers=headers,
    )
    response = world.http.send(request, stream=endpoint.stream)
    if endpoint.stream:
        # An allowed stream would run for minutes: the status is all we need. A refusal is a
        # small problem document: read it.
        if response.is_success:
            response.close()
        else:
            response.read()
    return response


def problem(response: httpx.Response) -> dict[str, Any]:
    """A refusal without the parts that name the request (its path)."""
    body: dict[str, Any] = response.json()
    return {key: value for key, value in body.items() if key != "instance"}


def test_the_matrix_covers_every_endpoint_in_openapi(world: World) -> None:
    published: set[tuple[str, str, str]] = set()
    for service in SERVICES:
        document = world.http.get(world.url(service, "/openapi.json"))
        assert document.status_code == 200, document.text
        for path, operations in document.json()["paths"].items():
            if path.startswith(UNGUARDED_PREFIXES):
                continue
            published |= {(service, method.upper(), path) for method in operations}
    covered = {endpoint.key for endpoint in ENDPOINTS}
    assert len(covered) == len(ENDPOINTS), "an endpoint is in the matrix twice"
    assert not published - covered, (
        f"endpoints the access matrix does not cover: {sorted(published - covered)}"
    )
    assert not covered - published, (
        f"the matrix names endpoints that are gone: {sorted(covered - published)}"
    )


@pytest.mark.parametrize(("endpoint", "who"), list(_cases()))
def test_access(world: World, endpoint: Endpoint, who: Who) -> None:
    target = world.target(endpoint.target)
    expected = endpoint.rule[who]
    response = send(world, endpoint, who, target)

    if expected == ALLOWED:
        if endpoint.domain_refusal is None:
            assert response.is_success, f"{who} was refused: {response.status_code} {response.text}"
        else:
            status, code = endpoint.domain_refusal
            assert (response.status_code, response.json().get("code")) == (status, code), (
                f"{who}: expected the domain's {status} {code}, got "
                f"{response.status_code} {response.text}"
            )
        if endpoint.shows is not None:
            shown = endpoint.shows(response.json())
            assert (target.pathway_id in shown) == SEES_TARGET[who], (
                f"{who} {'does not see' if SEES_TARGET[who] else 'sees'} the path: {shown}"
            )
        for key in endpoint.staff_only_keys:
            is_client = who in ("own_client", "other_client")
            assert (key in response.json()) != is_client, (
                f"{who} {'gets' if is_client else 'misses'} {key!r}: {response.text}"
            )
        return

    assert response.status_code == expected, f"{who}: {response.status_code} {response.text}"
    if expected == 404:
        # Someone else's resource must answer exactly as one that does not exist.
        ghost = replace(target, pathway_id=str(uuid4()), client_ref=f"ghost-{uuid4().hex}")
        nothing = send(world, endpoint, who, ghost)
        assert nothing.status_code == 404, nothing.text
        assert problem(response) == problem(nothing)
