"""Outages answered with 503 (decision 0028): while PostgreSQL is down, or the network to it
hangs, a command gets a 503 problem with Retry-After in the reader's language, never a 500; a
page gets a page; the client's answer form comes back with their text and the same submission
id, and sending it again once the database is back stores the answer once."""

from __future__ import annotations

import contextlib
import functools
import re
import time
from collections.abc import Iterator
from uuid import uuid4

import httpx
import pytest

from deploy.system import RunningSystem
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory, Person
from tests.support.page_forms import page_token
from tests.support.sign_in import sign_in
from tests.support.waiting import eventually

TASK = "w01-t1"
_SUBMISSION = re.compile(r'name="submission_id" value="([^"]+)"')


def ready(system: RunningSystem, name: str) -> bool:
    return system.service_ready(name)


@contextlib.contextmanager
def database_down(system: RunningSystem) -> Iterator[None]:
    """PostgreSQL stopped in immediate mode, kept down (the supervisor holds) until the end."""
    supervisor = system.supervisor
    assert supervisor is not None
    supervisor.hold("postgres")
    system.infrastructure.postgres.stop_immediate()
    try:
        yield
    finally:
        supervisor.release("postgres")
        for name in ("enrolment", "tasks"):
            eventually(functools.partial(ready, system, name), what=f"{name} ready again")


def answer_by_api(
    system: RunningSystem, client: Person, pathway_id: str, key: str, lang: str = "fi"
) -> httpx.Response:
    return httpx.post(
        f"{system.urls['tasks']}/pathways/{pathway_id}/tasks/{TASK}/answers",
        json={"text": "Vastaus katkon aikana"},
        headers={**client.headers, "Idempotency-Key": key, "Accept-Language": lang},
        timeout=40,
    )


def assert_unavailable(response: httpx.Response, language: str = "fi") -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["code"] == "error.unavailable" and body["status"] == 503
    word = {"fi": "Palvelu", "sv": "Tjänsten"}[language]
    assert word in body["detail"], body["detail"]


def a_client_with_a_path(
    system: RunningSystem, identities: IdentityFactory
) -> tuple[Person, Person, str]:
    counselor = identities.staff("counselor")
    client = identities.client()
    pathway_id = open_path(system, counselor, client)
    wait_for_plan(system, client)
    return counselor, client, pathway_id


def test_while_postgres_is_down_commands_get_503_and_the_answer_form_keeps_the_text(
    faulty_system: RunningSystem, faulty_identities: IdentityFactory
) -> None:
    counselor, client, pathway_id = a_client_with_a_path(faulty_system, faulty_identities)
    tasks = faulty_system.urls["tasks"]
    # Signed in and the task page open before the outage, as a client writing an answer is.
    session = sign_in(faulty_system, "tasks", identity_code=client.identity_code)
    token = page_token(session, f"/tehtavat/{TASK}")
    form_headers = {**session.headers, "X-CSRF-Token": token, "Accept": "text/html"}
    submission_id = str(uuid4())
    key = str(uuid4())
    text = "Kirjoitin tämän <juuri> kun yhteys katkesi."

    with database_down(faulty_system):
        # JSON commands: 503 problem+json with Retry-After, in Finnish or Swedish.
        assert_unavailable(answer_by_api(faulty_system, client, pathway_id, key))
        assert_unavailable(answer_by_api(faulty_system, client, pathway_id, key, "sv"), "sv")
        opened = httpx.post(
            f"{faulty_system.urls['enrolment']}/pathways/{pathway_id}/pause",
            json={"reason": "other"},
            headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
            timeout=40,
        )
        assert opened.status_code == 503, opened.text

        # The page's form: the page again, with the text and the same submission id.
        sent = httpx.post(
            f"{tasks}/tehtavat/{TASK}",
            data={"text": text, "action": "submit", "submission_id": submission_id},
            headers=form_headers,
            timeout=40,
        )
        assert sent.status_code == 503, sent.text
        assert sent.headers["content-type"].startswith("text/html")
        assert int(sent.headers["retry-after"]) > 0
        assert "Kirjoitin tämän &lt;juuri&gt; kun yhteys katkesi." in sent.text
        kept = _SUBMISSION.search(sent.text)
        assert kept and kept.group(1) == submission_id
        assert "tallessa" in sent.text  # the page says the text is kept
        assert 'data-pending="1"' in sent.text  # and its script will keep saving it

        # The page script's draft save: a problem it can retry, not a 500.
        draft = httpx.put(
            f"{tasks}/tehtavat/{TASK}/luonnos",
            json={"text": text},
            headers={**session.headers, "X-CSRF-Token": token},
            timeout=40,
        )
        assert_unavailable(draft)

        # A page followed by link: a page that says so, not JSON.
        page = httpx.get(f"{tasks}/", headers={**session.headers, "Accept": "text/html"})
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
        assert "poissa käytöstä" in page.text

    # Back: the same form sent again stores the answer, once.
    again = httpx.post(
        f"{tasks}/tehtavat/{TASK}",
        data={"text": text, "action": "submit", "submission_id": submission_id},
        headers=form_headers,
        timeout=20,
    )
    assert again.status_code == 303, again.text
    twice = httpx.post(
        f"{tasks}/tehtavat/{TASK}",
        data={"text": text, "action": "submit", "submission_id": submission_id},
        headers=form_headers,
        timeout=20,
    )
    assert twice.status_code == 303, twice.text
    answered = session.get(f"/tehtavat/{TASK}")
    assert "Kirjoitin tämän &lt;juuri&gt; kun yhteys katkesi." in answered.text
    plan = wait_for_plan(faulty_system, client)
    assert TASK in str(plan)


@pytest.mark.slow
def test_a_hanging_database_connection_ends_in_503_not_a_request_that_waits_forever(
    faulty_system: RunningSystem, faulty_identities: IdentityFactory
) -> None:
    _, client, pathway_id = a_client_with_a_path(faulty_system, faulty_identities)
    proxy = faulty_system.proxies["postgres"]
    proxy.hang()
    started = time.monotonic()
    try:
        response = answer_by_api(faulty_system, client, pathway_id, str(uuid4()))
    finally:
        proxy.heal()
    assert_unavailable(response)
    assert time.monotonic() - started < 35
    eventually(functools.partial(ready, faulty_system, "tasks"), what="tasks ready after heal")
    assert answer_by_api(faulty_system, client, pathway_id, str(uuid4())).status_code == 201
