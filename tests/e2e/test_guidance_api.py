"""Guidance over HTTP: meeting requests, meetings as the client sees them, feedback on answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from deploy.system import RunningSystem
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory, Person
from tests.support.waiting import eventually


@dataclass(frozen=True)
class GuidedPath:
    pathway_id: str
    client: Person
    counselor: Person
    week_one: list[str]

    def url(self, system: RunningSystem, rest: str) -> str:
        return f"{system.urls['guidance']}/pathways/{self.pathway_id}/{rest}"


@pytest.fixture(scope="module")
def path(system: RunningSystem, identities: IdentityFactory) -> GuidedPath:
    counselor = identities.staff("counselor")
    client = identities.client()
    pathway_id = open_path(system, counselor, client)
    plan = wait_for_plan(system, client)
    guided = GuidedPath(
        pathway_id, client, counselor, [task["task_id"] for task in plan["weeks"][0]["tasks"]]
    )

    def guidance_knows_the_client() -> bool:
        meetings = httpx.get(guided.url(system, "meetings"), headers=client.headers, timeout=10)
        return meetings.status_code == 200

    eventually(guidance_knows_the_client, what="the path in guidance's caseload")
    return guided


@pytest.fixture(scope="module")
def answer_id(system: RunningSystem, path: GuidedPath) -> str:
    """A real answer of the path's client, once guidance has seen it."""
    answered = httpx.post(
        f"{system.urls['tasks']}/pathways/{path.pathway_id}/tasks/{path.week_one[0]}/answers",
        json={"text": "Pidän ihmisten auttamisesta ja olen täsmällinen."},
        headers={**path.client.headers, "Idempotency-Key": str(uuid4())},
        timeout=10,
    )
    assert answered.status_code == 201, answered.text
    answer = str(answered.json()["answer_id"])

    # Empty feedback records nothing: it is 404 while the answer is unknown, 422 once known.
    def answer_projected() -> bool:
        response = httpx.post(
            path.url(system, f"answers/{answer}/feedback"),
            json={"text": " "},
            headers=path.counselor.headers,
            timeout=10,
        )
        return response.status_code == 422

    eventually(answer_projected, what="the answer in guidance")
    return answer


def assert_problem(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body["detail"]


def meetings_of(system: RunningSystem, path: GuidedPath, who: Person) -> dict[str, Any]:
    response = httpx.get(path.url(system, "meetings"), headers=who.headers, timeout=10)
    assert response.status_code == 200, response.text
    return {item["meeting_id"]: item for item in response.json()["items"]}


def test_a_client_asks_for_a_meeting_once_however_often_they_click(
    system: RunningSystem, path: GuidedPath
) -> None:
    key = str(uuid4())
    body = {"task_id": path.week_one[0]}
    headers = {**path.client.headers, "Idempotency-Key": key}
    first = httpx.post(path.url(system, "meeting-requests"), json=body, headers=headers)
    assert first.status_code == 201, first.text
    meeting_id = first.json()["meeting_id"]

    retried = httpx.post(path.url(system, "meeting-requests"), json=body, headers=headers)
    assert retried.status_code == 200, retried.text
    assert retried.json() == {"meeting_id": meeting_id}
    assert retried.headers["Idempotent-Replayed"] == "true"

    # A new click (a new key) while the request waits for a time: the same meeting.
    again = httpx.post(
        path.url(system, "meeting-requests"),
        json=body,
        headers={**path.client.headers, "Idempotency-Key": str(uuid4())},
    )
    assert again.status_code == 200, again.text
    assert again.json() == {"meeting_id": meeting_id}

    meetings = meetings_of(system, path, path.client)
    asked = [m for m in meetings.values() if m["task_ids"] == [path.week_one[0]]]
    assert asked == [
        {
            "meeting_id": meeting_id,
            "state": "requested",
            "task_ids": [path.week_one[0]],
            "starts_at": None,
            "mode": None,
        }
    ]


def test_a_meeting_request_refuses_unknown_fields(system: RunningSystem, path: GuidedPath) -> None:
    response = httpx.post(
        path.url(system, "meeting-requests"),
        json={"task_id": None, "urgent": True},
        headers=path.client.headers,
    )
    assert "urgent" in assert_problem(response, 422, "error.validation")


def test_others_cannot_tell_the_path_exists(
    system: RunningSystem, path: GuidedPath, identities: IdentityFactory
) -> None:
    other_client = identities.client()
    other_counselor = identities.staff("counselor")
    asked = httpx.post(
        path.url(system, "meeting-requests"), json={"task_id": None}, headers=other_client.headers
    )
    assert_problem(asked, 404, "error.not_found")
    for who in (other_client, other_counselor):
        for rest in ("meetings", "feedback"):
            response = httpx.get(path.url(system, rest), headers=who.headers)
            assert_problem(response, 404, "error.not_found")
    unknown = httpx.get(
        f"{system.urls['guidance']}/pathways/{uuid4()}/meetings", headers=path.client.headers
    )
    assert_problem(unknown, 404, "error.not_found")


def test_the_counselor_schedules_and_holds_a_meeting_and_the_client_sees_it(
    system: RunningSystem, path: GuidedPath
) -> None:
    task_id = path.week_one[1]
    asked = httpx.post(
        path.url(system, "meeting-requests"), json={"task_id": task_id}, headers=path.client.headers
    )
    assert asked.status_code == 201, asked.text
    held_id = asked.json()["meeting_id"]
    by_counselor = httpx.post(
        path.url(system, "meeting-requests"), json={"task_id": None}, headers=path.counselor.headers
    )
    assert by_counselor.status_code == 201, by_counselor.text
    waiting_id = by_counselor.json()["meeting_id"]

    starts_at = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    scheduled = httpx.put(
        path.url(system, f"meetings/{held_id}"),
        json={"starts_at": starts_at.isoformat(), "mode": "video", "task_ids": [task_id]},
        headers=path.counselor.headers,
    )
    assert scheduled.status_code == 204, scheduled.text
    shown = meetings_of(system, path, path.client)[held_id]
    assert shown["state"] == "scheduled" and shown["mode"] == "video"
    assert datetime.fromisoformat(shown["starts_at"]) == starts_at

    held = httpx.post(
        path.url(system, f"meetings/{held_id}/outcome"),
        json={"held": True},
        headers=path.counselor.headers,
    )
    assert held.status_code == 204, held.text
    meetings = meetings_of(system, path, path.client)
    assert meetings[held_id]["state"] == "held"
    assert meetings[held_id]["task_ids"] == [task_id]
    assert meetings[waiting_id]["state"] == "requested"
    assert meetings_of(system, path, path.counselor) == meetings


def test_feedback_on_an_answer_reaches_the_client(
    system: RunningSystem, path: GuidedPath, answer_id: str
) -> None:
    headers = {**path.counselor.headers, "Idempotency-Key": str(uuid4())}
    text = "  Hienoa, että tunnistat vahvuutesi! Mietitään ensi kerralla, missä ne pääsevät esiin. "
    url = path.url(system, f"answers/{answer_id}/feedback")
    given = httpx.post(url, json={"text": text}, headers=headers)
    assert given.status_code == 201, given.text
    feedback_id = given.json()["feedback_id"]

    retried = httpx.post(url, json={"text": text}, headers=headers)
    assert retried.status_code == 200, retried.text
    assert retried.json() == {"feedback_id": feedback_id}

    read = httpx.get(path.url(system, "feedback"), headers=path.client.headers)
    assert read.status_code == 200, read.text
    items = [item for item in read.json()["items"] if item["feedback_id"] == feedback_id]
    assert len(items) == 1, "a retry stored the feedback twice"
    assert items[0]["answer_id"] == answer_id
    assert items[0]["text"] == text.strip()
    assert items[0]["given_at"]


def test_feedback_is_refused_clearly(
    system: RunningSystem, path: GuidedPath, answer_id: str, identities: IdentityFactory
) -> None:
    url = path.url(system, f"answers/{answer_id}/feedback")
    other_counselor = identities.staff("counselor")
    refused = httpx.post(url, json={"text": "Hyvä!"}, headers=other_counselor.headers)
    assert_problem(refused, 404, "error.not_found")

    empty = httpx.post(url, json={"text": "   "}, headers=path.counselor.headers)
    detail = assert_problem(empty, 422, "guidance.feedback_empty")
    assert detail == "Kirjoita palautteeseen jotain ennen kuin lähetät sen."

    too_long = httpx.post(url, json={"text": "a" * 2001}, headers=path.counselor.headers)
    detail = assert_problem(too_long, 422, "guidance.feedback_too_long")
    assert "enimmäispituus on 2000 merkkiä" in detail

    unknown = httpx.post(
        path.url(system, f"answers/{uuid4()}/feedback"),
        json={"text": "Hyvä!"},
        headers=path.counselor.headers,
    )
    assert_problem(unknown, 404, "guidance.unknown_answer")

    by_client = httpx.post(url, json={"text": "Hyvä!"}, headers=path.client.headers)
    assert_problem(by_client, 403, "error.forbidden")

    read = httpx.get(path.url(system, "feedback"), headers=path.client.headers)
    assert all(item["text"] != "Hyvä!" for item in read.json()["items"])
