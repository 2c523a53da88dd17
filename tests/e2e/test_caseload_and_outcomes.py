"""The counselor's caseload over HTTP: flags, filters, the change stream; meeting notes,
outcome follow-ups, the access log, concurrent edits and erasure, against the real system.

A path's end and a client's erasure are enrolment's events. They are put on enrolment's topic
here as enrolment's relay would, so that guidance's side is tested whatever state enrolment's
own commands for them are in; its consumer, projections and rebuild see them as real.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from deploy.system import RunningSystem
from tests.support.api import erase_client, open_path, wait_for_plan
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


def new_path(
    system: RunningSystem, identities: IdentityFactory, counselor: Person | None = None
) -> GuidedPath:
    counselor = counselor or identities.staff("counselor")
    client = identities.client()
    pathway_id = open_path(system, counselor, client)
    plan = wait_for_plan(system, client)
    path = GuidedPath(
        pathway_id, client, counselor, [task["task_id"] for task in plan["weeks"][0]["tasks"]]
    )
    wait_for_row(system, path, lambda row: True, "the path in the caseload")
    return path


def caseload(system: RunningSystem, who: Person, **params: str) -> httpx.Response:
    return httpx.get(
        f"{system.urls['guidance']}/caseload", params=params, headers=who.headers, timeout=10
    )


def rows_of(system: RunningSystem, who: Person, **params: str) -> list[dict[str, Any]]:
    response = caseload(system, who, **params)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def wait_for_row(
    system: RunningSystem,
    path: GuidedPath,
    ok: Callable[[dict[str, Any]], bool],
    what: str,
) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        for row in rows_of(system, path.counselor):
            if row["pathway_id"] == path.pathway_id and ok(row):
                return row
        return None

    return eventually(probe, what=what)


def assert_problem(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return body["detail"]


def answer(system: RunningSystem, path: GuidedPath, task_id: str) -> str:
    answered = httpx.post(
        f"{system.urls['tasks']}/pathways/{path.pathway_id}/tasks/{task_id}/answers",
        json={"text": "Haluaisin oppia lisää asiakaspalvelusta."},
        headers={**path.client.headers, "Idempotency-Key": str(uuid4())},
        timeout=10,
    )
    assert answered.status_code == 201, answered.text
    return str(answered.json()["answer_id"])


def ask_meeting(system: RunningSystem, path: GuidedPath, who: Person) -> str:
    asked = httpx.post(
        path.url(system, "meeting-requests"), json={"task_id": None}, headers=who.headers
    )
    assert asked.status_code in (200, 201), asked.text
    return str(asked.json()["meeting_id"])


def test_a_fresh_path_is_on_track(system: RunningSystem, identities: IdentityFactory) -> None:
    path = new_path(system, identities)
    row = wait_for_row(system, path, lambda row: row["current_week"] == 1, "week 1 open")
    assert row["status"] == "active"
    assert row["flags"] == ["on_track"]
    assert row["behind"] == 0
    assert row["feedback_waiting"] == 0
    assert row["follow_ups_due"] == []
    assert row["ended_on"] is None
    assert datetime.fromisoformat(row["updated_at"])


def test_an_answer_waits_for_feedback_until_it_is_given(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    path = new_path(system, identities)
    answer_id = answer(system, path, path.week_one[0])
    row = wait_for_row(
        system, path, lambda row: row["feedback_waiting"] == 1, "the answer waiting for feedback"
    )
    assert "feedback_waiting" in row["flags"]
    assert row["answers"] == 1

    given = httpx.post(
        path.url(system, f"answers/{answer_id}/feedback"),
        json={"text": "Hyvä havainto, jatketaan tästä."},
        headers=path.counselor.headers,
    )
    assert given.status_code == 201, given.text
    # Counted from the stored feedback, so no wait for an event.
    row = wait_for_row(system, path, lambda row: True, "the row")
    assert row["feedback_waiting"] == 0
    assert "feedback_waiting" not in row["flags"]


def test_a_clients_meeting_request_flags_a_meeting_needed_until_it_has_a_time(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    path = new_path(system, identities)
    meeting_id = ask_meeting(system, path, path.client)
    wait_for_row(system, path, lambda row: "meeting_needed" in row["flags"], "meeting_needed")
    flagged = rows_of(system, path.counselor, flag="meeting_needed")
    assert path.pathway_id in {row["pathway_id"] for row in flagged}
    on_track = rows_of(system, path.counselor, flag="on_track")
    assert path.pathway_id not in {row["pathway_id"] for row in on_track}

    starts_at = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    scheduled = httpx.put(
        path.url(system, f"meetings/{meeting_id}"),
        json={"starts_at": starts_at.isoformat(), "mode": "phone"},
        headers=path.counselor.headers,
    )
    assert scheduled.status_code == 204, scheduled.text
    wait_for_row(
        system, path, lambda row: row["flags"] == ["on_track"], "the flag gone once scheduled"
    )


def test_filters_and_sorting_and_bad_values(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    running = new_path(system, identities, counselor)
    paused = new_path(system, identities, counselor)
    response = httpx.post(
        f"{system.urls['enrolment']}/pathways/{paused.pathway_id}/pause",
        json={},
        headers=counselor.headers,
    )
    assert response.status_code == 200, response.text
    wait_for_row(system, paused, lambda row: row["status"] == "paused", "the pause")
    ask_meeting(system, running, running.client)
    wait_for_row(system, running, lambda row: "meeting_needed" in row["flags"], "meeting_needed")

    def ids(**params: str) -> list[str]:
        return [row["pathway_id"] for row in rows_of(system, counselor, **params)]

    assert ids(status="paused") == [paused.pathway_id]
    assert ids(status="active") == [running.pathway_id]
    assert ids(status="completed") == []
    assert sorted(ids(municipality="061", cohort="2026-syksy")) == sorted(
        [running.pathway_id, paused.pathway_id]
    )
    assert ids(municipality="834") == []  # Tammela
    assert ids(sort="attention")[0] == running.pathway_id
    for sort in ("week", "start_date", "last_activity", "attention"):
        assert len(ids(sort=sort)) == 2
    # Another counselor's caseload does not hold them.
    assert ids() != [] and rows_of(system, identities.staff("counselor")) == []

    for name, value in (("sort", "name"), ("status", "closed"), ("flag", "urgent")):
        refused = caseload(system, counselor, **{name: value})
        assert name in assert_problem(refused, 422, "error.validation")


def test_the_stream_tells_of_a_change_in_the_counselors_caseload(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    path = new_path(system, identities)
    url = f"{system.urls['guidance']}/caseload/stream"
    deadline = time.monotonic() + 45
    events: list[tuple[str, dict[str, Any]]] = []
    with httpx.stream("GET", url, headers=path.counselor.headers, timeout=30) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in stream.iter_lines():
            assert time.monotonic() < deadline, f"no change within 45 s: {events}"
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = json.loads(line.removeprefix("data: "))
                events.append((name, data))
                if name == "ready":
                    ask_meeting(system, path, path.client)  # changes the row, by its event
                elif name == "changed" and data["pathway_id"] == path.pathway_id:
                    break
    assert events[0][0] == "ready"
    assert events[-1][0] == "changed" and datetime.fromisoformat(events[-1][1]["updated_at"])


def test_meeting_notes_are_for_the_counselors_only(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    path = new_path(system, identities)
    meeting_id = ask_meeting(system, path, path.counselor)
    url = path.url(system, f"meetings/{meeting_id}/notes")
    headers = {**path.counselor.headers, "Idempotency-Key": str(uuid4())}
    text = "  Käytiin läpi vahvuudet. Seuraavaksi päivitetään CV yhdessä.  "
    written = httpx.post(url, json={"text": text}, headers=headers)
    assert written.status_code == 201, written.text
    note_id = written.json()["note_id"]
    retried = httpx.post(url, json={"text": text}, headers=headers)
    assert retried.status_code == 200, retried.text
    assert retried.json() == {"note_id": note_id}

    staff_view = httpx.get(path.url(system, "meetings"), headers=path.counselor.headers)
    assert staff_view.status_code == 200, staff_view.text
    notes = staff_view.json()["notes"]
    assert [(n["note_id"], n["meeting_id"], n["text"]) for n in notes] == [
        (note_id, meeting_id, text.strip())
    ]
    assert notes[0]["counselor_id"] == path.counselor.subject
    client_view = httpx.get(path.url(system, "meetings"), headers=path.client.headers)
    assert client_view.status_code == 200, client_view.text
    assert "notes" not in client_view.json()
    assert text.strip() not in client_view.text

    empty = httpx.post(url, json={"text": "  "}, headers=path.counselor.headers)
    detail = assert_problem(empty, 422, "guidance.note_empty")
    assert detail == "Kirjoita muistiinpanoon jotain ennen kuin tallennat sen."
    too_long = httpx.post(url, json={"text": "a" * 2001}, headers=path.counselor.headers)
    assert "enimmäispituus on 2000 merkkiä" in assert_problem(
        too_long, 422, "guidance.note_too_long"
    )
    unknown = httpx.post(
        path.url(system, f"meetings/{uuid4()}/notes"),
        json={"text": "Muistiinpano"},
        headers=path.counselor.headers,
    )
    assert_problem(unknown, 404, "error.not_found")
    other = httpx.post(
        url, json={"text": "Muistiinpano"}, headers=identities.staff("counselor").headers
    )
    assert_problem(other, 404, "error.not_found")
    by_client = httpx.post(url, json={"text": "Muistiinpano"}, headers=path.client.headers)
    assert_problem(by_client, 403, "error.forbidden")


def test_outcome_rules_over_http(system: RunningSystem, identities: IdentityFactory) -> None:
    path = new_path(system, identities)
    url = path.url(system, "outcomes")
    today = date.today()
    end = {"follow_up": "end", "outcome": "work_trial", "outcome_date": today.isoformat()}

    not_ended = httpx.post(url, json=end, headers=path.counselor.headers)
    assert_problem(not_ended, 422, "guidance.path_not_ended")
    bad = httpx.post(url, json={**end, "outcome": "lottery"}, headers=path.counselor.headers)
    assert "outcome" in assert_problem(bad, 422, "error.validation")
    assert_problem(httpx.get(url, headers=path.client.headers), 403, "error.forbidden")
    listed = httpx.get(url, headers=path.counselor.headers)
    assert listed.status_code == 200 and listed.json() == {"items": []}

    completed = httpx.post(
        f"{system.urls['enrolment']}/pathways/{path.pathway_id}/complete",
        json={"completed_on": today.isoformat()},
        headers={**path.counselor.headers, "Idempotency-Key": str(uuid4())},
    )
    assert completed.status_code == 200, completed.text
    row = wait_for_row(system, path, lambda row: row["status"] == "completed", "completion")
    assert row["ended_on"] == today.isoformat()
    assert row["follow_ups_due"] == ["end"] and row["flags"] == ["follow_up_due"]

    before_start = {**end, "outcome_date": (today - timedelta(days=1)).isoformat()}
    early = httpx.post(url, json=before_start, headers=path.counselor.headers)
    assert "ennen polun alkua" in assert_problem(early, 422, "guidance.outcome_before_start")
    three_months = httpx.post(url, json={**end, "follow_up": "3m"}, headers=path.counselor.headers)
    assert_problem(three_months, 422, "guidance.follow_up_too_early")

    headers = {**path.counselor.headers, "Idempotency-Key": str(uuid4())}
    recorded = httpx.post(url, json=end, headers=headers)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["outcome"] == "work_trial"
    retried = httpx.post(url, json=end, headers=headers)
    assert retried.status_code == 200 and retried.json() == recorded.json()
    again = httpx.post(url, json={**end, "outcome": "none"}, headers=path.counselor.headers)
    detail = assert_problem(again, 409, "guidance.outcome_already_recorded")
    assert detail.startswith("Tämän seurannan tulos on jo kirjattu")

    listed = httpx.get(url, headers=path.counselor.headers)
    assert [item["follow_up"] for item in listed.json()["items"]] == ["end"]
    assert listed.headers["ETag"]
    wait_for_row(system, path, lambda row: row["follow_ups_due"] == [], "the follow-up done")


def test_the_second_of_two_concurrent_edits_gets_a_conflict(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    path = new_path(system, identities)
    admin = identities.staff("admin")
    meeting_id = ask_meeting(system, path, path.counselor)
    seen = httpx.get(path.url(system, "meetings"), headers=path.counselor.headers)
    etag = seen.headers["ETag"]
    starts_at = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()
    body = {"starts_at": starts_at, "mode": "video"}
    first = httpx.put(
        path.url(system, f"meetings/{meeting_id}"),
        json=body,
        headers={**path.counselor.headers, "If-Match": etag},
    )
    assert first.status_code == 204, first.text
    second = httpx.put(
        path.url(system, f"meetings/{meeting_id}"),
        json={**body, "mode": "phone"},
        headers={**admin.headers, "If-Match": etag},
    )
    detail = assert_problem(second, 409, "error.conflict")
    assert detail.startswith("Tietoa on muutettu samaan aikaan toisaalla")
    meetings = httpx.get(path.url(system, "meetings"), headers=path.client.headers).json()
    assert [item["mode"] for item in meetings["items"]] == ["video"]


def test_staff_reads_are_in_the_access_log_which_nobody_edits(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    path = new_path(system, identities)
    client_ref = wait_for_row(system, path, lambda row: True, "the row")["client_ref"]
    read = httpx.get(path.url(system, "feedback"), headers=path.counselor.headers)
    assert read.status_code == 200, read.text
    httpx.get(path.url(system, "feedback"), headers=path.client.headers)  # not logged

    admin = identities.staff("admin")
    log = httpx.get(
        f"{system.urls['guidance']}/access-log",
        params={"client_ref": client_ref},
        headers=admin.headers,
    )
    assert log.status_code == 200, log.text
    entries = log.json()["items"]
    assert {(e["reader"], e["what"]) for e in entries} >= {
        (path.counselor.subject, "caseload"),
        (path.counselor.subject, "feedback"),
    }
    assert all(e["reader_role"] != "client" for e in entries)
    assert all(e["pathway_id"] == path.pathway_id for e in entries)
    by_counselor = httpx.get(
        f"{system.urls['guidance']}/access-log",
        params={"client_ref": client_ref},
        headers=path.counselor.headers,
    )
    assert_problem(by_counselor, 403, "error.forbidden")

    async def try_to_edit() -> None:
        connection = await asyncpg.connect(system.infrastructure.postgres.dsn_for("guidance"))
        try:
            with pytest.raises(asyncpg.PostgresError, match="append-only"):
                await connection.execute(
                    "UPDATE access_log SET reader = 'someone-else' WHERE client_ref = $1",
                    client_ref,
                )
            with pytest.raises(asyncpg.PostgresError, match="append-only"):
                await connection.execute("DELETE FROM access_log WHERE client_ref = $1", client_ref)
        finally:
            await connection.close()

    asyncio.run(try_to_edit())


def test_erasure_removes_the_counselors_words_and_refuses_new_ones(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    path = new_path(system, identities)
    answer_id = answer(system, path, path.week_one[0])
    row = wait_for_row(system, path, lambda row: row["feedback_waiting"] == 1, "the answer")
    feedback_url = path.url(system, f"answers/{answer_id}/feedback")
    given = httpx.post(feedback_url, json={"text": "Hienoa!"}, headers=path.counselor.headers)
    assert given.status_code == 201, given.text
    meeting_id = ask_meeting(system, path, path.counselor)
    notes_url = path.url(system, f"meetings/{meeting_id}/notes")
    noted = httpx.post(notes_url, json={"text": "Muistiinpano"}, headers=path.counselor.headers)
    assert noted.status_code == 201, noted.text

    admin = identities.staff("admin")
    erase_client(system, admin, row["client_ref"])

    def refused_as_erased() -> httpx.Response | None:
        again = httpx.post(feedback_url, json={"text": "Vielä"}, headers=path.counselor.headers)
        body = again.json()
        return again if body.get("code") == "guidance.answer_erased" else None

    refused = eventually(refused_as_erased, what="feedback refused on the erased answer")
    assert_problem(refused, 409, "guidance.answer_erased")
    ids = [r["pathway_id"] for r in rows_of(system, path.counselor)]
    assert path.pathway_id not in ids
    feedback = httpx.get(path.url(system, "feedback"), headers=path.counselor.headers)
    assert feedback.status_code == 200 and feedback.json() == {"items": []}
    meetings = httpx.get(path.url(system, "meetings"), headers=path.counselor.headers)
    assert meetings.json()["notes"] == []
    note = httpx.post(notes_url, json={"text": "Uusi"}, headers=path.counselor.headers)
    assert_problem(note, 409, "guidance.client_erased")
