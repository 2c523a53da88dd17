"""An ended path in tasks (decision 0018): completed through enrolment's API, tasks refuses
more of the client's work with a 409 in their language, its plan says nothing of a next week,
and the client's pages show the path read-only with what was answered."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from chassis.clock import helsinki_today
from deploy.system import RunningSystem
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory, Person
from tests.support.page_forms import form_headers
from tests.support.sign_in import sign_in
from tests.support.waiting import eventually


def started_path(system: RunningSystem, counselor: Person, client: Person) -> str:
    # Starts today: week 1 is open and week 2 has its opening date.
    return open_path(system, counselor, client)


def answer(system: RunningSystem, client: Person, pathway_id: str, task_id: str) -> httpx.Response:
    return httpx.post(
        f"{system.urls['tasks']}/pathways/{pathway_id}/tasks/{task_id}/answers",
        json={"text": f"Vastaus tehtävään {task_id}"},
        headers={**client.headers, "Idempotency-Key": str(uuid4())},
        timeout=10,
    )


def complete(system: RunningSystem, counselor: Person, pathway_id: str) -> None:
    response = httpx.post(
        f"{system.urls['enrolment']}/pathways/{pathway_id}/complete",
        json={},
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def plan_of(system: RunningSystem, client: Person) -> dict[str, Any]:
    response = httpx.get(f"{system.urls['tasks']}/me/plan", headers=client.headers, timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_completed_path_refuses_answers_and_has_no_next_week(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    client = identities.client()
    pathway_id = started_path(system, counselor, client)
    plan = wait_for_plan(system, client)
    assert plan["next_week_opens_on"] is not None and plan["ended_on"] is None
    assert answer(system, client, pathway_id, "w01-t1").status_code == 201

    complete(system, counselor, pathway_id)
    ended = eventually(
        lambda: plan_of(system, client) if plan_of(system, client)["ended_on"] else None,
        what="the path's end in the plan",
    )
    assert ended["ended_on"] == helsinki_today().isoformat()
    assert ended["next_week_opens_on"] is None
    assert ended["current_week"] == 1

    refused = answer(system, client, pathway_id, "w01-t2")
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == "tasks.path_ended"
    assert "päättyi" in problem["detail"]
    in_swedish = httpx.post(
        f"{system.urls['tasks']}/pathways/{pathway_id}/tasks/w01-t3/answers",
        json={"text": "Svar"},
        headers={**client.headers, "Accept-Language": "sv", "Idempotency-Key": str(uuid4())},
        timeout=10,
    )
    assert in_swedish.status_code == 409 and "avslutades" in in_swedish.json()["detail"]

    # Nothing else is taken either: a direction, a baseline self-assessment, a draft.
    direction = httpx.post(
        f"{system.urls['tasks']}/pathways/{pathway_id}/direction",
        json={"direction": "work"},
        headers=client.headers,
        timeout=10,
    )
    assert direction.status_code == 409, direction.text
    session = sign_in(system, "tasks", identity_code=client.identity_code)
    draft = httpx.put(
        f"{system.urls['tasks']}/tehtavat/w01-t2/luonnos",
        json={"text": "luonnos"},
        headers=form_headers(session),
        timeout=10,
    )
    assert draft.status_code == 409
    answers = httpx.get(
        f"{system.urls['tasks']}/pathways/{pathway_id}/answers", headers=client.headers
    ).json()["items"]
    assert [item["task_id"] for item in answers] == ["w01-t1"]


def test_the_client_sees_an_ended_path_read_only(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    client = identities.client()
    pathway_id = started_path(system, counselor, client)
    wait_for_plan(system, client)
    assert answer(system, client, pathway_id, "w01-t1").status_code == 201
    tasks = system.urls["tasks"]
    # Pages take the browser's session, not a bearer token (decision 0022).
    session = sign_in(system, "tasks", identity_code=client.identity_code)
    open_page = httpx.get(f"{tasks}/tehtavat/w01-t2", headers=session.headers, timeout=10)
    assert 'id="answer-form"' in open_page.text  # the form is there while the path goes on

    complete(system, counselor, pathway_id)
    eventually(lambda: plan_of(system, client)["ended_on"], what="the path's end in the plan")

    home = httpx.get(f"{tasks}/", headers=session.headers, timeout=10)
    assert home.status_code == 200 and 'data-state="ended"' in home.text
    answered = httpx.get(f"{tasks}/tehtavat/w01-t1", headers=session.headers, timeout=10)
    assert "Vastaus tehtävään w01-t1" in answered.text
    assert 'data-state="ended"' in answered.text
    unanswered = httpx.get(f"{tasks}/tehtavat/w01-t2", headers=session.headers, timeout=10)
    assert unanswered.status_code == 200
    assert 'id="answer-form"' not in unanswered.text
    assert "ei vastattu ennen polun päättymistä" in unanswered.text
    direction = httpx.get(f"{tasks}/suunta", headers=session.headers, timeout=10)
    assert 'action="/suunta"' not in direction.text
    meetings = httpx.get(f"{tasks}/tapaamiset", headers=session.headers, timeout=10)
    assert 'action="/tapaamiset"' not in meetings.text

    # A form sent from a page opened before the end is refused, its text kept on the page.
    sent = httpx.post(
        f"{tasks}/tehtavat/w01-t2",
        data={"text": "Myöhässä", "action": "submit", "submission_id": str(uuid4())},
        headers=form_headers(session, "/tehtavat/w01-t2"),
        timeout=10,
    )
    assert sent.status_code == 409
    assert "Myöhässä" in sent.text and "päättyi" in sent.text
