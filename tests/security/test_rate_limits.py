"""Rate limits on signing in and on writes, per principal and per address (issue 12, item 8).

On a service's real application built in this process with small limits: over a limit the
answer is 429 with Retry-After, a problem for a program and a page in Finnish (or Swedish) for
a browser; other principals and addresses keep going; reads are not limited. The running
system (development) keeps limits generous enough for the test suite and the fuzzer.
"""

from __future__ import annotations

import httpx
import pytest

from chassis.rate_limits import ADDRESS_SHARE
from deploy.system import RunningSystem
from tests.security.in_process import client, development_app

PAGE = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_limited_problem(answer: httpx.Response) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "error.rate_limited"
    seconds = int(answer.headers["retry-after"])
    assert 1 <= seconds <= 60
    assert f"{seconds} sekuntia" in answer.json()["detail"]


async def test_writes_are_limited_per_principal_with_retry_after() -> None:
    app = development_app("tasks", rate_limit_writes="3/minute")
    async with client(app) as http:
        url = "/pathways/p/tasks/w01-t1/answers"
        # Refused for want of a valid token (401), but each one is a write that counts.
        sent = [await http.post(url, json={}, headers=bearer("token-a")) for _ in range(3)]
        assert [a.status_code for a in sent] == [401, 401, 401]
        assert_limited_problem(await http.post(url, json={}, headers=bearer("token-a")))
        # Another principal from the same address is not held back by the first one's count.
        assert (await http.post(url, json={}, headers=bearer("token-b"))).status_code == 401
        # Reads are not limited.
        assert (await http.get("/healthz", headers=bearer("token-a"))).status_code == 200


async def test_writes_are_limited_per_address_whatever_the_credential() -> None:
    app = development_app("tasks", rate_limit_writes="2/minute")
    url = "/pathways/p/tasks/w01-t1/answers"
    async with client(app, address="198.51.100.7") as http:
        for n in range(2 * ADDRESS_SHARE):  # a fresh token each time: never the principal limit
            answer = await http.post(url, json={}, headers=bearer(f"token-{n}"))
            assert answer.status_code == 401, n
        assert_limited_problem(await http.post(url, json={}, headers=bearer("one-more")))
        assert_limited_problem(await http.post(url, json={}))  # without any credential too
    async with client(app, address="198.51.100.8") as other_address:
        assert (await other_address.post(url, json={})).status_code == 401


@pytest.mark.parametrize("path", ["/kirjaudu", "/auth/callback"])
async def test_signing_in_is_limited_per_address_with_a_finnish_page(path: str) -> None:
    app = development_app("tasks", rate_limit_sign_in="2/minute")
    async with client(app, address="192.0.2.44") as http:
        for _ in range(2):
            # Sent on to the issuer, or refused for want of a state: anything but a 429.
            assert (await http.get(path, headers=PAGE)).status_code != 429
        limited = await http.get(path, headers=PAGE)
        assert limited.status_code == 429
        assert limited.headers["content-type"].startswith("text/html")
        assert int(limited.headers["retry-after"]) >= 1
        assert "<h1>Liian monta pyyntöä</h1>" in limited.text
        assert '<html lang="fi">' in limited.text
        swedish = await http.get(path, headers={**PAGE, "Accept-Language": "sv"})
        assert "<h1>För många förfrågningar</h1>" in swedish.text
        # The policy and the other headers are on the refusal as on every answer.
        assert "frame-ancestors 'none'" in limited.headers["content-security-policy"]
    async with client(app, address="192.0.2.45") as elsewhere:
        assert (await elsewhere.get(path, headers=PAGE)).status_code != 429


async def test_a_page_form_over_the_limit_gets_the_page_not_a_problem() -> None:
    app = development_app("tasks", rate_limit_writes="1/minute")
    async with client(app) as http:
        await http.post("/tapaamiset", data={}, headers={**PAGE, **bearer("form-sender")})
        limited = await http.post("/tapaamiset", data={}, headers={**PAGE, **bearer("form-sender")})
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("text/html")
    assert "Odota" in limited.text and limited.headers["retry-after"] in limited.text


def test_the_running_system_is_generous_enough_for_tests(system: RunningSystem) -> None:
    """Development raises the limits through the environment; production keeps its own."""
    url = f"{system.urls['tasks']}/pathways/p/tasks/w01-t1/answers"
    with httpx.Client(timeout=10) as http:
        answers = [http.post(url, json={}, headers=bearer("burst")).status_code for _ in range(150)]
    assert set(answers) == {401}  # 150 writes a minute is over production's default of 120
