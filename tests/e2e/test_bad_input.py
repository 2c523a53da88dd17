"""Bad input and faults over HTTP: a clear Finnish problem, a log line, nothing stored."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from uuid import uuid4

import httpx
import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no type hints

from deploy.system import RunningSystem
from tests.support.api import open_path, open_path_body, wait_for_plan
from tests.support.identities import IdentityFactory, Person
from tests.support.page_forms import form_headers
from tests.support.sign_in import sign_in

DEMO_COUNSELOR = "ohjaaja-demo"


@pytest.fixture(scope="module")
def counselor(identities: IdentityFactory) -> Person:
    # The development issuer's demo counselor, so the tests can sign in to their pages too.
    return identities.staff("counselor", subject=DEMO_COUNSELOR)


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
        lifetime_seconds=-120,  # beyond the minute of leeway (decision 0022)
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


# --- Clean text, malformed bodies and the size limit (issue 11, decision 0014) -------------


@dataclass(frozen=True)
class ClientPath:
    pathway_id: str
    client_ref: str
    client: Person
    counselor: Person
    task_id: str


@pytest.fixture(scope="module")
def running(system: RunningSystem, counselor: Person, identities: IdentityFactory) -> ClientPath:
    client = identities.client()
    pathway_id = open_path(system, counselor, client)
    plan = wait_for_plan(system, client)
    path = httpx.get(
        f"{system.urls['enrolment']}/pathways/{pathway_id}", headers=counselor.headers
    ).json()
    return ClientPath(
        pathway_id, path["client_ref"], client, counselor, plan["weeks"][0]["tasks"][0]["task_id"]
    )


NUL = "\u0000"
# Each write route's free text with a NUL: who sends it, where, and the field's Finnish label.
NUL_CASES: dict[str, tuple[str, str, str, str, dict[str, object], str]] = {
    "answer": (
        "client",
        "POST",
        "tasks",
        "/pathways/{p}/tasks/{t}/answers",
        {"text": f"Moi{NUL}"},
        "Vastaus",
    ),
    "draft": (
        "client",
        "PUT",
        "tasks",
        "/tehtavat/{t}/luonnos",
        {"text": f"Luonnos{NUL}"},
        "Luonnos",
    ),
    "direction reason": (
        "client",
        "POST",
        "tasks",
        "/pathways/{p}/direction",
        {"direction": "work", "reason": f"Koska{NUL}"},
        "Perustelu",
    ),
    "feedback": (
        "counselor",
        "POST",
        "guidance",
        "/pathways/{p}/answers/{r}/feedback",
        {"text": f"Hyvä{NUL}"},
        "Palaute",
    ),
    "meeting note": (
        "counselor",
        "POST",
        "guidance",
        "/pathways/{p}/meetings/{r}/notes",
        {"text": f"Muistiin{NUL}"},
        "Muistiinpano",
    ),
    "meeting request": (
        "client",
        "POST",
        "guidance",
        "/pathways/{p}/meeting-requests",
        {"task_id": f"w1{NUL}"},
        "Tehtävä",
    ),
    "meeting task ids": (
        "counselor",
        "PUT",
        "guidance",
        "/pathways/{p}/meetings/{r}",
        {"starts_at": "2030-01-07T10:00:00+02:00", "mode": "video", "task_ids": [f"w1{NUL}"]},
        "Tapaamisen tehtävät",
    ),
}


def _state(system: RunningSystem, path: ClientPath) -> tuple[object, ...]:
    guidance = f"{system.urls['guidance']}/pathways/{path.pathway_id}"
    plan = httpx.get(f"{system.urls['tasks']}/me/plan", headers=path.client.headers).json()
    enrolled = httpx.get(
        f"{system.urls['enrolment']}/pathways/{path.pathway_id}", headers=path.counselor.headers
    ).json()
    return (
        plan["version"],
        httpx.get(f"{guidance}/meetings", headers=path.counselor.headers).json(),
        httpx.get(f"{guidance}/feedback", headers=path.counselor.headers).json(),
        enrolled["version"],
        enrolled["erased"],
    )


@pytest.mark.parametrize("case", list(NUL_CASES))
def test_a_nul_in_free_text_is_a_422_naming_the_field_and_stores_nothing(
    system: RunningSystem, identities: IdentityFactory, running: ClientPath, case: str
) -> None:
    role, method, service, template, body, label = NUL_CASES[case]
    who = {
        "client": running.client,
        "counselor": running.counselor,
        "admin": identities.staff("admin"),
    }[role]
    url = system.urls[service] + template.format(
        p=running.pathway_id, t=running.task_id, r=uuid4(), c=running.client_ref
    )
    before = _state(system, running)
    response = httpx.request(
        method, url, json=body, headers={**who.headers, "Idempotency-Key": str(uuid4())}
    )
    problem = assert_problem(response, 422, "error.invalid_text")
    assert f"”{label}”" in str(problem["detail"]) and "U+0000" in str(problem["detail"])
    swedish = httpx.request(
        method, url, json=body, headers={**who.headers, "Accept-Language": "sv"}
    )
    assert "styrtecken (U+0000)" in str(swedish.json()["detail"])
    assert _state(system, running) == before


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_a_nul_in_a_name_opens_no_path(
    system: RunningSystem, counselor: Person, identities: IdentityFactory, field: str
) -> None:
    client = identities.client()
    body = open_path_body(client, **{field: f"Matti{NUL}"})
    refused = httpx.post(
        f"{system.urls['enrolment']}/pathways", json=body, headers=counselor.headers
    )
    label = {"first_name": "Etunimi", "last_name": "Sukunimi"}[field]
    assert f"”{label}”" in str(assert_problem(refused, 422, "error.invalid_text")["detail"])
    # Nothing half-stored: the same client's path opens afterwards, with their real name.
    assert open_path(system, counselor, client)


def test_a_bidirectional_override_is_refused(system: RunningSystem, running: ClientPath) -> None:
    response = httpx.post(
        f"{system.urls['tasks']}/pathways/{running.pathway_id}/tasks/{running.task_id}/answers",
        json={"text": "Tavallinen \u202etxet"},
        headers=running.client.headers,
    )
    problem = assert_problem(response, 422, "error.invalid_text")
    assert "U+202E" in str(problem["detail"])


def test_text_is_stored_in_nfc(
    system: RunningSystem, counselor: Person, identities: IdentityFactory
) -> None:
    client = identities.client()
    pathway_id = open_path(system, counselor, client)
    plan = wait_for_plan(system, client)
    task_id = plan["weeks"][0]["tasks"][0]["task_id"]
    session = sign_in(system, "tasks", identity_code=client.identity_code)
    draft = httpx.put(
        f"{system.urls['tasks']}/tehtavat/{task_id}/luonnos",
        json={"text": "Ha\u0308ma\u0308la\u0308inen\r\nrivi"},
        headers=form_headers(session),
    )
    assert draft.status_code == 204, draft.text
    answered = httpx.post(
        f"{system.urls['tasks']}/pathways/{pathway_id}/tasks/{task_id}/answers",
        json={"text": "a\u0308iti\u200b ja i\u0308so\u0308"},
        headers=client.headers,
    )
    assert answered.status_code == 201, answered.text
    answers = httpx.get(
        f"{system.urls['tasks']}/pathways/{pathway_id}/answers", headers=client.headers
    ).json()
    texts = [a["text"] for a in answers["items"]]
    assert texts == ["\u00e4iti ja \u00efs\u00f6"]  # composed; the zero-width space removed


def test_invalid_utf8_is_a_malformed_request(system: RunningSystem, counselor: Person) -> None:
    response = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        content=b'{"first_name": "\xc3\x28"}',
        headers={**counselor.headers, "Content-Type": "application/json"},
    )
    body = assert_problem(response, 400, "error.malformed_request")
    assert "UTF-8" in str(body["detail"])


@pytest.mark.parametrize("service", ["enrolment", "tasks", "guidance", "reporting"])
def test_a_50_mb_body_is_refused_at_once_without_a_token(
    system: RunningSystem, service: str
) -> None:
    # Declares 50 MB and sends a few bytes: an answer that waited for the body would hang.
    url = httpx.URL(system.urls[service])
    started = time.perf_counter()
    with socket.create_connection((url.host, url.port), timeout=5) as conn:
        conn.sendall(
            b"POST /pathways HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 52428800\r\n\r\n{"first_name": "'
        )
        head = conn.recv(4096)
    assert head.startswith(b"HTTP/1.1 413 "), head
    assert b"application/problem+json" in head and b"x-correlation-id" in head.lower()
    assert time.perf_counter() - started < 2


def test_an_oversize_or_chunked_body_is_413(system: RunningSystem, running: ClientPath) -> None:
    url = f"{system.urls['tasks']}/pathways/{running.pathway_id}/tasks/{running.task_id}/answers"
    whole = httpx.post(url, json={"text": "x" * 70_000})  # no token: refused before that
    assert_problem(whole, 413, "error.too_large")

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    chunked = httpx.post(url, content=chunks(), headers=running.client.headers)
    assert "content-length" not in chunked.request.headers
    assert_problem(chunked, 413, "error.too_large")


@pytest.mark.parametrize("service", ["enrolment", "tasks", "guidance", "reporting"])
def test_asyncapi_yaml_is_served(system: RunningSystem, service: str) -> None:
    response = httpx.get(f"{system.urls[service]}/asyncapi.yaml")
    assert response.status_code == 200, response.text
    document = yaml.safe_load(response.text)
    assert str(document["asyncapi"]).startswith("3.")


def test_refused_text_on_a_page_shows_the_page_again_with_the_text_kept(
    system: RunningSystem, running: ClientPath
) -> None:
    written = "Minun vastaukseni \u202eei näy oikein"
    client = sign_in(system, "tasks", identity_code=running.client.identity_code)
    answer_page = httpx.post(
        f"{system.urls['tasks']}/tehtavat/{running.task_id}",
        data={"action": "submit", "text": written, "submission_id": str(uuid4())},
        headers=form_headers(client),
    )
    assert answer_page.status_code == 422
    assert answer_page.headers["content-type"].startswith("text/html")
    assert f">{written}</textarea>" in answer_page.text
    assert "Kentässä ”Vastaus”" in answer_page.text

    reason = "Koska\u202e"
    direction_page = httpx.post(
        f"{system.urls['tasks']}/suunta",
        data={"direction": "work", "reason": reason, "submission_id": str(uuid4())},
        headers=form_headers(client),
    )
    assert direction_page.status_code == 422
    assert f">{reason}</textarea>" in direction_page.text
    assert "Kentässä ”Perustelu”" in direction_page.text

    answered = httpx.post(
        f"{system.urls['tasks']}/pathways/{running.pathway_id}/tasks/{running.task_id}/answers",
        json={"text": "Ensimmäinen vastaukseni."},
        headers=running.client.headers,
    )
    assert answered.status_code == 201, answered.text
    answer_id = answered.json()["answer_id"]
    feedback = "Hyvä alku\u202e, jatka samaan malliin"
    counselor = sign_in(system, "guidance", account=DEMO_COUNSELOR)
    timeline = httpx.post(
        f"{system.urls['guidance']}/asiakkaat/{running.pathway_id}/vastaukset/{answer_id}/palaute",
        data={"text": feedback, "submission_id": str(uuid4())},
        headers=form_headers(counselor),
    )
    assert timeline.status_code == 422, timeline.text
    assert "Kentässä ”Palaute”" in timeline.text
    assert f">{feedback}</textarea>" in timeline.text


@pytest.mark.parametrize(
    ("service", "method", "template", "role"),
    [
        ("enrolment", "POST", "/clients/a%00b/erasure", "admin"),
        ("tasks", "POST", "/pathways/{p}/tasks/w01%00/answers", "client"),
        ("tasks", "GET", "/tehtavat/w01%00", "client"),
        ("tasks", "PUT", "/tehtavat/w01%00/luonnos", "client"),
    ],
)
def test_a_nul_in_a_path_or_query_parameter_is_no_server_error(
    system: RunningSystem,
    identities: IdentityFactory,
    running: ClientPath,
    service: str,
    method: str,
    template: str,
    role: str,
) -> None:
    who = running.client if role == "client" else identities.staff(role)
    headers = who.headers
    if template.startswith("/tehtavat"):  # a page: the client's session, not a bearer token
        session = sign_in(system, service, identity_code=running.client.identity_code)
        headers = form_headers(session)
    url = system.urls[service] + template.format(p=running.pathway_id)
    body = {"reason": "client_request"} if "erasure" in url else {"text": "Teksti"}
    response = httpx.request(method, url, json=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize("service", ["enrolment", "tasks", "guidance", "reporting"])
def test_a_nul_in_the_access_log_query_is_refused_not_a_server_error(
    system: RunningSystem, identities: IdentityFactory, service: str
) -> None:
    admin = identities.staff("admin")
    response = httpx.get(
        f"{system.urls[service]}/access-log", params={"client_ref": "a\x00b"}, headers=admin.headers
    )
    assert_problem(response, 422, "error.invalid_text")
