"""Bad input and faults over HTTP: a clear Finnish problem, a log line, nothing stored."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest

from deploy.system import RunningSystem
from tests.support.api import open_path, open_path_body, wait_for_plan
from tests.support.identities import IdentityFactory, Person


@pytest.fixture(scope="module")
def counselor(identities: IdentityFactory) -> Person:
    return identities.staff("counselor")


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.text
    return body


def caseload_size(system: RunningSystem, counselor: Person) -> int:
    return len(httpx.get(f"{system.urls['guidance']}/caseload", headers=counselor.headers).json())


def test_malformed_json_is_a_400_in_finnish(system: RunningSystem, counselor: Person) -> None:
    response = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        content=b'{"municipality": ',
        headers={**counselor.headers, "Content-Type": "application/json"},
    )
    body = assert_problem(response, 400, "error.malformed_json")
    assert body["detail"] == "Pyynnön sisältö ei ole kelvollista JSONia."


def test_swedish_is_available(system: RunningSystem, counselor: Person) -> None:
    response = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        content=b"{",
        headers={
            **counselor.headers,
            "Content-Type": "application/json",
            "Accept-Language": "sv-FI,sv;q=0.9",
        },
    )
    body = assert_problem(response, 400, "error.malformed_json")
    assert body["detail"] == "Begärans innehåll är inte giltig JSON."


def test_unknown_field_and_wrong_type_name_the_fields(
    system: RunningSystem, counselor: Person, identities: IdentityFactory
) -> None:
    client = identities.client()
    body = open_path_body(client, shoe_size=43, start_date="ensi maanantaina")
    response = httpx.post(
        f"{system.urls['enrolment']}/pathways", json=body, headers=counselor.headers
    )
    problem = assert_problem(response, 422, "error.validation")
    assert "shoe_size" in str(problem["detail"]) and "start_date" in str(problem["detail"])


def test_unconfirmed_suitability_is_refused_in_finnish(
    system: RunningSystem, counselor: Person, identities: IdentityFactory
) -> None:
    body = open_path_body(
        identities.client(),
        suitability={
            "life_management": True,
            "digital_skills": True,
            "self_assessment_ability": False,
            "strong_identification": True,
        },
    )
    response = httpx.post(
        f"{system.urls['enrolment']}/pathways", json=body, headers=counselor.headers
    )
    problem = assert_problem(response, 422, "enrolment.suitability_not_confirmed")
    assert "kykenee arvioimaan omaa tilannettaan" in str(problem["detail"])
    assert problem["missing"] == ["enrolment.criterion.self_assessment_ability"]


def test_invalid_identity_code_is_refused(
    system: RunningSystem, counselor: Person, identities: IdentityFactory
) -> None:
    client = identities.client()
    assert client.identity_code is not None
    wrong_check = client.identity_code[:-1] + ("A" if client.identity_code[-1] != "A" else "B")
    body = open_path_body(client, personal_identity_code=wrong_check)
    response = httpx.post(
        f"{system.urls['enrolment']}/pathways", json=body, headers=counselor.headers
    )
    assert_problem(response, 422, "enrolment.invalid_identity_code")


def test_unknown_path_is_404(system: RunningSystem, counselor: Person) -> None:
    response = httpx.get(
        f"{system.urls['enrolment']}/pathways/{uuid4()}", headers=counselor.headers
    )
    assert_problem(response, 404, "error.not_found")


def test_missing_or_forged_token_is_401(system: RunningSystem) -> None:
    response = httpx.get(f"{system.urls['tasks']}/me/plan")
    assert_problem(response, 401, "error.unauthorized")
    response = httpx.get(
        f"{system.urls['tasks']}/me/plan", headers={"Authorization": "Bearer not.a.token"}
    )
    assert_problem(response, 401, "error.unauthorized")


def test_expired_token_says_so(system: RunningSystem, identities: IdentityFactory) -> None:
    expired = identities.token(
        subject="c-x",
        role="client",
        tenant="kanta-hame",
        personal_identity_code="131052-308T",
        lifetime_seconds=-60,
    )
    response = httpx.get(
        f"{system.urls['tasks']}/me/plan", headers={"Authorization": f"Bearer {expired}"}
    )
    assert_problem(response, 401, "error.token_expired")


def test_client_without_strong_identification_is_refused(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    weak = identities.token(
        subject="c-y",
        role="client",
        tenant="kanta-hame",
        personal_identity_code="131052-308T",
        acr="http://ftn.ficora.fi/2017/loa1",
    )
    response = httpx.get(
        f"{system.urls['tasks']}/me/plan", headers={"Authorization": f"Bearer {weak}"}
    )
    assert_problem(response, 403, "error.weak_identification")


def test_answering_another_clients_task_is_404_and_stores_nothing(
    system: RunningSystem, counselor: Person, identities: IdentityFactory
) -> None:
    owner, intruder = identities.client(), identities.client()
    pathway_id = open_path(system, counselor, owner)
    plan = wait_for_plan(system, owner)
    open_path(system, counselor, intruder)
    wait_for_plan(system, intruder)
    task_id = plan["weeks"][0]["tasks"][0]["task_id"]
    response = httpx.post(
        f"{system.urls['tasks']}/pathways/{pathway_id}/tasks/{task_id}/answers",
        json={"text": "Tämä ei ole minun polkuni."},
        headers=intruder.headers,
    )
    assert_problem(response, 404, "error.not_found")
    after = httpx.get(f"{system.urls['tasks']}/me/plan", headers=owner.headers).json()
    assert after["version"] == plan["version"]


def test_stale_expected_version_is_a_conflict_and_retry_is_idempotent(
    system: RunningSystem, counselor: Person, identities: IdentityFactory
) -> None:
    client = identities.client()
    pathway_id = open_path(system, counselor, client)
    plan = wait_for_plan(system, client)
    first, second = (t["task_id"] for t in plan["weeks"][0]["tasks"][:2])
    url = f"{system.urls['tasks']}/pathways/{pathway_id}/tasks"
    etag = f'"{plan["version"]}"'
    key = str(uuid4())

    answered = httpx.post(
        f"{url}/{first}/answers",
        json={"text": "Ensimmäinen vastaus."},
        headers={**client.headers, "If-Match": etag, "Idempotency-Key": key},
    )
    assert answered.status_code == 201, answered.text
    # The same command again (a double-clicked submit): the first result, nothing new.
    again = httpx.post(
        f"{url}/{first}/answers",
        json={"text": "Ensimmäinen vastaus."},
        headers={**client.headers, "If-Match": etag, "Idempotency-Key": key},
    )
    assert again.status_code == 200, again.text
    assert again.json()["answer_id"] == answered.json()["answer_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    # Another command decided on the old version: a conflict, nothing stored.
    stale = httpx.post(
        f"{url}/{second}/answers",
        json={"text": "Toinen vastaus."},
        headers={**client.headers, "If-Match": etag},
    )
    body = assert_problem(stale, 409, "error.conflict")
    assert body["current_version"] == plan["version"] + 2  # TaskAnswered + TaskCompleted
    after = httpx.get(f"{system.urls['tasks']}/me/plan", headers=client.headers).json()
    answered_tasks = [t["task_id"] for w in after["weeks"] for t in w["tasks"] if t["answered"]]
    assert answered_tasks == [first]


def test_overlong_and_empty_answers_are_refused(
    system: RunningSystem, counselor: Person, identities: IdentityFactory
) -> None:
    client = identities.client()
    pathway_id = open_path(system, counselor, client)
    plan = wait_for_plan(system, client)
    task_id = plan["weeks"][0]["tasks"][0]["task_id"]
    url = f"{system.urls['tasks']}/pathways/{pathway_id}/tasks/{task_id}/answers"
    too_long = assert_problem(
        httpx.post(url, json={"text": "a" * 4001}, headers=client.headers),
        422,
        "tasks.answer_too_long",
    )
    assert "4000" in str(too_long["detail"])
    assert_problem(
        httpx.post(url, json={"text": "   "}, headers=client.headers), 422, "tasks.answer_empty"
    )
    week_two = plan["weeks"][1]["tasks"][0]["task_id"]
    assert_problem(
        httpx.post(
            f"{system.urls['tasks']}/pathways/{pathway_id}/tasks/{week_two}/answers",
            json={"text": "Liian aikaisin."},
            headers=client.headers,
        ),
        422,
        "tasks.week_not_open",
    )
    direction = httpx.post(
        f"{system.urls['tasks']}/pathways/{pathway_id}/direction",
        json={"direction": "education"},
        headers=client.headers,
    )
    assert_problem(direction, 422, "tasks.direction_not_yet")
    after = httpx.get(f"{system.urls['tasks']}/me/plan", headers=client.headers).json()
    assert after["version"] == plan["version"]
