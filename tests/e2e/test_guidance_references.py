"""Guidance refuses meetings that refer to no task of the path, or to no sane time, and a
reused idempotency key with another command (decision 0019)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from chassis.clock import HELSINKI
from deploy.system import RunningSystem
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory, Person
from tests.support.waiting import eventually


@dataclass(frozen=True)
class Path:
    pathway_id: str
    client: Person
    counselor: Person
    tasks: list[str]

    def url(self, system: RunningSystem, rest: str) -> str:
        return f"{system.urls['guidance']}/pathways/{self.pathway_id}/{rest}"


async def _curriculum_version(dsn: str, pathway_id: str) -> str | None:
    connection = await asyncpg.connect(dsn)
    try:
        version: str | None = await connection.fetchval(
            "SELECT curriculum_version FROM caseload WHERE pathway_id = $1::uuid", pathway_id
        )
        return version
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def path(system: RunningSystem, identities: IdentityFactory) -> Path:
    counselor = identities.staff("counselor")
    client = identities.client()
    pathway_id = open_path(system, counselor, client)
    plan = wait_for_plan(system, client)
    tasks = [task["task_id"] for week in plan["weeks"] for task in week["tasks"]]
    dsn = system.infrastructure.postgres.dsn_for("guidance")
    # The caseload learns the path's curriculum from tasks' PlanStarted.
    eventually(
        lambda: asyncio.run(_curriculum_version(dsn, pathway_id)) == plan["curriculum_version"],
        what="the path's curriculum version in guidance",
    )
    return Path(pathway_id, client, counselor, tasks)


def problem(response: httpx.Response, code: str, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def schedule(
    system: RunningSystem, path: Path, body: dict[str, Any], lang: str = "fi"
) -> httpx.Response:
    return httpx.put(
        path.url(system, f"meetings/{uuid4()}"),
        json={"mode": "phone", "task_ids": [], **body},
        headers={**path.counselor.headers, "Accept-Language": lang},
        timeout=10,
    )


def test_a_meeting_about_a_task_the_path_does_not_have_is_refused_in_finnish_and_swedish(
    system: RunningSystem, path: Path
) -> None:
    url = path.url(system, "meeting-requests")
    for lang, words in (("fi", "Tehtävä"), ("sv", "Uppgift")):
        asked = httpx.post(
            url,
            json={"task_id": "w99-t9"},
            headers={**path.client.headers, "Accept-Language": lang},
            timeout=10,
        )
        detail = problem(asked, "guidance.unknown_task")["detail"]
        assert words in detail and "w99-t9" in detail
    known = httpx.post(url, json={"task_id": path.tasks[0]}, headers=path.client.headers)
    assert known.status_code == 201, known.text


@pytest.mark.parametrize(
    "task_ids", [["w01-t1\u0007"], ["x" * 500], ["w99-t9"], ["w01-t1", "ei-tehtava"]]
)
def test_a_scheduled_meetings_tasks_are_tasks_of_the_path(
    system: RunningSystem, path: Path, task_ids: list[str]
) -> None:
    refused = schedule(system, path, {"starts_at": _soon(), "task_ids": task_ids})
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] in ("guidance.unknown_task", "error.invalid_text")


def _soon() -> str:
    """Two days from now, as a naive Helsinki time."""
    return (
        (datetime.now(HELSINKI) + timedelta(days=2)).replace(tzinfo=None, microsecond=0).isoformat()
    )


@pytest.mark.parametrize(
    ("starts_at", "code"),
    [
        ("0073-01-01T10:00:00+19:38", "guidance.meeting_time_offset"),
        ("0073-01-01T10:00:00", "guidance.meeting_time_before_start"),
        ("9999-12-31T23:00:00", "guidance.meeting_time_too_late"),
    ],
)
def test_meeting_times_out_of_sane_bounds_are_refused(
    system: RunningSystem, path: Path, starts_at: str, code: str
) -> None:
    for lang in ("fi", "sv"):
        detail = problem(schedule(system, path, {"starts_at": starts_at}, lang), code)["detail"]
        assert detail and "{" not in detail


def test_a_naive_time_is_helsinki_time_and_an_offset_keeps_its_instant(
    system: RunningSystem, path: Path
) -> None:
    day = _soon()[:10]
    naive_id, offset_id = str(uuid4()), str(uuid4())
    for meeting_id, starts_at in ((naive_id, f"{day}T10:00:00"), (offset_id, f"{day}T08:00:00Z")):
        scheduled = httpx.put(
            path.url(system, f"meetings/{meeting_id}"),
            json={"starts_at": starts_at, "mode": "video", "task_ids": [path.tasks[0]]},
            headers=path.counselor.headers,
            timeout=10,
        )
        assert scheduled.status_code == 204, scheduled.text
    listed = httpx.get(path.url(system, "meetings"), headers=path.counselor.headers, timeout=10)
    shown = {item["meeting_id"]: item for item in listed.json()["items"]}
    naive = datetime.fromisoformat(shown[naive_id]["starts_at"])
    with_offset = datetime.fromisoformat(shown[offset_id]["starts_at"])
    assert naive == datetime.fromisoformat(f"{day}T10:00:00").replace(tzinfo=HELSINKI)
    assert with_offset == datetime.fromisoformat(f"{day}T08:00:00+00:00")
    # Both are shown in Helsinki time, whatever offset the request used.
    for shown_at in (naive, with_offset):
        assert shown_at.utcoffset() == shown_at.astimezone(HELSINKI).utcoffset()


def test_a_note_key_reused_for_another_note_is_refused(system: RunningSystem, path: Path) -> None:
    asked = httpx.post(
        path.url(system, "meeting-requests"), json={"task_id": None}, headers=path.counselor.headers
    )
    assert asked.status_code in (200, 201), asked.text
    url = path.url(system, f"meetings/{asked.json()['meeting_id']}/notes")
    headers = {**path.counselor.headers, "Idempotency-Key": str(uuid4())}
    first = httpx.post(url, json={"text": "Sovittiin CV:n päivitys."}, headers=headers)
    assert first.status_code == 201, first.text
    again = httpx.post(url, json={"text": "Sovittiin CV:n päivitys."}, headers=headers)
    assert again.status_code == 200 and again.json() == first.json()
    other = httpx.post(url, json={"text": "Jotain aivan muuta."}, headers=headers)
    problem(other, "error.idempotency_key_reused")
    notes = httpx.get(path.url(system, "meetings"), headers=path.counselor.headers).json()["notes"]
    assert [n["text"] for n in notes if n["note_id"] == first.json()["note_id"]] == [
        "Sovittiin CV:n päivitys."
    ]
    assert not [n for n in notes if n["text"] == "Jotain aivan muuta."]


@pytest.mark.parametrize("query", ["municipality=%00", "municipality=Forssa", "cohort=%00x"])
def test_caseload_filters_are_codes(system: RunningSystem, path: Path, query: str) -> None:
    response = httpx.get(
        f"{system.urls['guidance']}/caseload?{query}", headers=path.counselor.headers, timeout=10
    )
    problem(response, "error.validation")
