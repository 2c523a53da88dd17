"""Every state-changing page form carries a token bound to the session, and is refused without
it (issue 12, item 7).

- Templates: every form sent with POST writes `{{ csrf_field() }}`.
- The mechanism in-process: the token is checked once for every route, from a form field or
  the `X-CSRF-Token` header; the form reaches the route unchanged; a request without the
  session cookie or with a bearer token is not affected; a cross-site request is refused.
- In Chromium against the running system: every form of the client's, the counselor's and the
  admin's pages is refused without its token and with a wrong one (a Finnish 403 page for a
  browser), and accepted with the right one: answer, draft, direction, self-assessment,
  meeting request, feedback, opening a path, the path's actions, erasure, signing out.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI, Request
from playwright.sync_api import Page, expect

from chassis.csrf import CSRF_FIELD, CsrfMiddleware, csrf_token
from chassis.http_auth import SESSION_COOKIE
from chassis.i18n import Catalogue
from deploy.system import RunningSystem
from tests.browser.conftest import browser, page  # noqa: F401 (Chromium's fixtures)
from tests.support.api import open_path_body, wait_for_plan
from tests.support.identities import IdentityFactory, Person
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    [*ROOT.glob("services/*/web/templates/*.html"), *ROOT.glob("chassis/web/templates/*.html")]
)
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.DOTALL | re.IGNORECASE)
POST = re.compile(r"""method=["']?post""", re.IGNORECASE)
PAGE = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
DEMO_COUNSELOR = "ohjaaja-demo"  # the development issuer's Outi Ohjaaja
DEMO_ADMIN = "paakayttaja-demo"  # and Antti Aalto


# --- Templates -----------------------------------------------------------------------------


def post_forms(template: Path) -> list[str]:
    text = template.read_text("utf-8")
    return [body for attributes, body in FORM.findall(text) if POST.search(attributes)]


def test_every_post_form_of_every_template_carries_the_token() -> None:
    checked = 0
    for template in TEMPLATES:
        for n, body in enumerate(post_forms(template)):
            assert "{{ csrf_field() }}" in body, f"{template.relative_to(ROOT)}: form {n + 1}"
            checked += 1
    assert checked >= 19, "the walk finds the forms"  # tasks 5, guidance 13, signing out 1


# --- The mechanism, in-process --------------------------------------------------------------

SECRET = b"s" * 48
SESSION = "the-opaque-session-id"


def guarded_app() -> FastAPI:
    """Routes that echo what they received, behind the same middleware every service has."""
    app = FastAPI()
    app.add_middleware(CsrfMiddleware, catalogue=Catalogue.load(), secret=SECRET)

    @app.post("/form")
    async def form(request: Request) -> dict[str, Any]:
        received = await request.form()
        return {key: str(value) for key, value in received.items()}

    @app.put("/json")
    async def json_body(body: dict[str, Any]) -> dict[str, Any]:
        return body

    @app.get("/read")
    async def read() -> dict[str, str]:
        return {"read": "yes"}

    return app


def with_session(session: str = SESSION, **headers: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={session}", **headers}


def guarded() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=guarded_app())
    return httpx.AsyncClient(transport=transport, base_url="http://service.test")


async def test_a_form_with_the_sessions_token_reaches_the_route_unchanged() -> None:
    token = csrf_token(SECRET, SESSION)
    async with guarded() as http:
        urlencoded = await http.post(
            "/form", data={"text": "Vastaus ä", CSRF_FIELD: token}, headers=with_session()
        )
        multipart = await http.post(
            "/form",
            data={"text": "Vastaus ö", CSRF_FIELD: token},
            files={"liite": ("a.txt", b"x")},
            headers=with_session(),
        )
    assert urlencoded.status_code == 200, urlencoded.text
    assert urlencoded.json() == {"text": "Vastaus ä", CSRF_FIELD: token}
    assert multipart.status_code == 200, multipart.text
    assert multipart.json()["text"] == "Vastaus ö"


async def test_a_script_sends_the_token_in_a_header() -> None:
    token = csrf_token(SECRET, SESSION)
    async with guarded() as http:
        sent = await http.put(
            "/json", json={"text": "luonnos"}, headers=with_session(**{"X-CSRF-Token": token})
        )
        missing = await http.put("/json", json={"text": "luonnos"}, headers=with_session())
    assert sent.status_code == 200 and sent.json() == {"text": "luonnos"}
    assert missing.status_code == 403


@pytest.mark.parametrize(
    ("fields", "headers"),
    [
        ({"text": "x"}, {}),  # no token
        ({"text": "x", CSRF_FIELD: ""}, {}),  # an empty one
        ({"text": "x", CSRF_FIELD: "0" * 64}, {}),  # a wrong one
        ({"text": "x", CSRF_FIELD: csrf_token(SECRET, "another-session")}, {}),  # another's
        ({"text": "x", CSRF_FIELD: csrf_token(b"t" * 48, SESSION)}, {}),  # another secret's
        # The right token, sent by another site's page.
        ({"text": "x", CSRF_FIELD: csrf_token(SECRET, SESSION)}, {"Sec-Fetch-Site": "cross-site"}),
    ],
    ids=["missing", "empty", "wrong", "other-session", "other-secret", "cross-site"],
)
async def test_a_form_without_its_sessions_token_is_refused(
    fields: dict[str, str], headers: dict[str, str]
) -> None:
    async with guarded() as http:
        refused = await http.post("/form", data=fields, headers=with_session(**headers))
        page = await http.post("/form", data=fields, headers=with_session(**headers, **PAGE))
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "error.csrf"
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Lomaketta ei lähetetty</h1>" in page.text and "Mitään ei tallennettu" in page.text


async def test_the_refusal_page_speaks_swedish_to_a_swedish_reader() -> None:
    async with guarded() as http:
        page = await http.post("/form", data={"text": "x"}, headers=with_session(**PAGE))
        swedish = await http.post(
            "/form",
            data={"text": "x"},
            headers={**PAGE, "Cookie": f"{SESSION_COOKIE}={SESSION}; lang=sv"},
        )
    assert '<html lang="fi">' in page.text
    assert swedish.status_code == 403 and '<html lang="sv">' in swedish.text
    assert "<h1>Formuläret skickades inte</h1>" in swedish.text


async def test_requests_without_the_session_or_with_a_bearer_token_are_not_affected() -> None:
    async with guarded() as http:
        no_session = await http.post("/form", data={"text": "x"})
        bearer = await http.post(
            "/form", data={"text": "x"}, headers=with_session(Authorization="Bearer abc")
        )
        read = await http.get("/read", headers=with_session())
    assert no_session.status_code == 200
    assert bearer.status_code == 200
    assert read.status_code == 200


# --- Every form of the running system, in Chromium ------------------------------------------

# Sends `fields` to `action` as the form would (urlencoded, the session cookie by the browser)
# and returns the status (303 for a redirect) and the body's start.
SEND = """async ([action, method, fields]) => {
  const response = await fetch(action, {
    method: method, body: new URLSearchParams(fields), redirect: 'manual',
    credentials: 'same-origin'});
  if (response.type === 'opaqueredirect') return [303, ''];
  return [response.status, (await response.text()).slice(0, 400)];
}"""
FIELDS = """(form) => [...new FormData(form)].filter(([, value]) => typeof value === 'string')"""
ACTION = "(form) => new URL(form.getAttribute('action'), location.href).href"


def form_fields(tab: Page, selector: str) -> tuple[str, list[list[str]]]:
    form = tab.locator(selector).first
    return form.evaluate(ACTION), form.evaluate(FIELDS)


def without_token(fields: list[list[str]]) -> list[list[str]]:
    return [[name, value] for name, value in fields if name != CSRF_FIELD]


def with_wrong_token(fields: list[list[str]]) -> list[list[str]]:
    return [*without_token(fields), [CSRF_FIELD, "0" * 64]]


def assert_every_form_refused_without_its_token(tab: Page) -> int:
    """Sends each POST form of the tab without and with a wrong token: all 403, nothing run."""
    forms = tab.locator("form[method=post]")
    count = forms.count()
    for n in range(count):
        form = forms.nth(n)
        action, fields = form.evaluate(ACTION), form.evaluate(FIELDS)
        assert any(name == CSRF_FIELD for name, _ in fields), f"{action}: no token field"
        for variant in (without_token(fields), with_wrong_token(fields)):
            status, body = tab.evaluate(SEND, [action, "POST", variant])
            assert status == 403, f"{action}: {status} {body}"
            assert "error.csrf" in body, body
    return count


def accepted(tab: Page, selector: str, **changes: str) -> int:
    """Sends the form as it is on the tab (its token included), with fields changed."""
    action, fields = form_fields(tab, selector)
    fields = [[name, changes.pop(name, value)] for name, value in fields]
    fields += [[name, value] for name, value in changes.items()]
    status, body = tab.evaluate(SEND, [action, "POST", fields])
    assert status != 403, f"{action}: {body}"
    return int(status)


def sign_in_client(tab: Page, tasks: str, person: Person) -> None:
    tab.goto(tasks + "/kirjaudu")
    assert person.identity_code is not None
    tab.get_by_label("Henkilötunnus").fill(person.identity_code)
    tab.locator("#m-bank").check()
    tab.get_by_role("button", name="Tunnistaudu").click()
    expect(tab.get_by_role("heading", level=1)).to_be_visible()


def sign_in_staff(tab: Page, service: str, label: str) -> None:
    tab.goto(service + "/kirjaudu")
    tab.get_by_label(label).check()
    tab.get_by_role("button", name="Kirjaudu").click()
    expect(tab.get_by_role("heading", level=1)).to_be_visible()


def plan_of(system: RunningSystem, person: Person) -> dict[str, Any]:
    response = httpx.get(f"{system.urls['tasks']}/me/plan", headers=person.headers, timeout=10)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def answered(system: RunningSystem, person: Person, task_id: str) -> bool:
    plan = plan_of(system, person)
    return any(t["answered"] for w in plan["weeks"] for t in w["tasks"] if t["task_id"] == task_id)


def test_the_clients_forms_need_their_token(
    page: Page,  # noqa: F811
    system: RunningSystem,
    identities: IdentityFactory,
) -> None:
    tasks = system.urls["tasks"]
    counselor = identities.staff("counselor", subject=DEMO_COUNSELOR)
    person = identities.client()
    opened = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        json=open_path_body(person),
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
        timeout=10,
    )
    assert opened.status_code == 201, opened.text
    wait_for_plan(system, person)
    sign_in_client(page, tasks, person)

    # Every form of every page the client has: refused without the token or with a wrong one.
    forms = 0
    for path in ("/", "/itsearvio/baseline", "/suunta", "/tapaamiset"):
        page.goto(tasks + path)
        forms += assert_every_form_refused_without_its_token(page)
    page.goto(tasks + "/")
    page.get_by_role("list").first.get_by_role("link").first.click()
    task_id = page.url.rstrip("/").split("/")[-1].split("?")[0]
    forms += assert_every_form_refused_without_its_token(page)
    assert forms >= 5  # self-assessment, direction, meeting request, answer, signing out
    assert not answered(system, person, task_id), "a refused answer was stored"

    # The draft the page's script saves: the token in the header, from the page's meta tag.
    draft_url = f"{tasks}/tehtavat/{task_id}/luonnos"
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    assert token
    put = """async ([url, token]) => (await fetch(url, {method: 'PUT',
        headers: token === null ? {'Content-Type': 'application/json'}
                                : {'Content-Type': 'application/json', 'X-CSRF-Token': token},
        body: JSON.stringify({text: 'luonnos'}), credentials: 'same-origin'})).status"""
    assert page.evaluate(put, [draft_url, None]) == 403
    assert page.evaluate(put, [draft_url, "0" * 64]) == 403
    assert page.evaluate(put, [draft_url, token]) == 204

    # With the token the forms do what they are for.
    assert (
        accepted(page, "#answer-form", text="Vastaus, jossa on tunniste.", action="submit") == 303
    )
    assert answered(system, person, task_id)
    page.goto(tasks + "/tapaamiset")
    assert accepted(page, "form[action='/tapaamiset']") == 303
    page.goto(tasks + "/suunta")
    assert accepted(page, "form[action='/suunta']", direction="work") in (200, 303, 409, 422)
    page.goto(tasks + "/itsearvio/baseline")
    assert accepted(page, "form[action^='/itsearvio']") in (200, 303, 422)

    # A browser that sends a form without its token is shown why, in Finnish.
    page.goto(tasks + "/tapaamiset")
    page.locator(f"form[action='/tapaamiset'] input[name={CSRF_FIELD}]").evaluate("e => e.remove()")
    page.locator("form[action='/tapaamiset'] button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lomaketta ei lähetetty")
    expect(page.get_by_role("alert")).to_contain_text("Mitään ei tallennettu")

    # Signing out: refused without the token (the session goes on), done with it.
    page.goto(tasks + "/")
    action, fields = form_fields(page, "form.logout")
    assert page.evaluate(SEND, [action, "POST", without_token(fields)])[0] == 403
    page.goto(tasks + "/")
    expect(page.locator("form.logout")).to_be_attached()
    page.locator("form.logout button").click()
    page.goto(tasks + "/")
    expect(page.locator("form.logout")).to_have_count(0)


def test_the_counselors_and_admins_forms_need_their_token(
    page: Page,  # noqa: F811
    system: RunningSystem,
    identities: IdentityFactory,
) -> None:
    guidance = system.urls["guidance"]
    counselor = identities.staff("counselor", subject=DEMO_COUNSELOR)
    person = identities.client()
    opened = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        json=open_path_body(person, first_name="Cecilia", last_name="Csrf"),
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
        timeout=10,
    )
    assert opened.status_code == 201, opened.text
    pathway_id = opened.json()["pathway_id"]
    plan = wait_for_plan(system, person)
    task_id = plan["weeks"][0]["tasks"][0]["task_id"]
    answer = httpx.post(
        f"{system.urls['tasks']}/pathways/{pathway_id}/tasks/{task_id}/answers",
        json={"text": "Vastaus, johon ohjaaja antaa palautetta."},
        headers={**person.headers, "Idempotency-Key": str(uuid4())},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    admin = identities.staff("admin", subject=DEMO_ADMIN)
    timeline = f"{guidance}/asiakkaat/{pathway_id}"

    sign_in_staff(page, guidance, "Outi Ohjaaja – ohjaaja")

    def feedback_form_shown() -> bool:
        page.goto(timeline)
        return page.locator("form[action$='/palaute']").count() > 0

    eventually(feedback_form_shown, what="guidance has the path and its answer")
    page.goto(guidance + "/polut/uusi")
    forms = assert_every_form_refused_without_its_token(page)
    page.goto(timeline)
    forms += assert_every_form_refused_without_its_token(page)
    # Opening a path, pausing, ending, counselors, feedback, meetings, notes, outcome, out.
    assert forms >= 8
    assert (
        accepted(page, "form[action$='/palaute']", text="Hyvä vastaus, jatka samaan malliin.")
        == 303
    )
    page.goto(guidance + "/polut/uusi")
    assert accepted(page, "form[action='/polut/uusi']") in (200, 303, 422)

    # The admin's erasure: refused without the token (nothing erased), done with it.
    page.context.clear_cookies()
    sign_in_staff(page, guidance, "Antti Aalto – pääkäyttäjä")
    page.goto(timeline)
    assert page.locator("form[action$='/poisto']").count() == 1
    assert_every_form_refused_without_its_token(page)
    enrolment = f"{system.urls['enrolment']}/pathways/{pathway_id}"
    assert httpx.get(enrolment, headers=admin.headers, timeout=10).json()["erased"] is False
    reason = page.locator("#poiston-syy")
    if reason.evaluate("(e) => e.tagName") == "INPUT":  # a text then, a chosen reason now
        reason.fill("Asiakkaan pyyntö")
    assert accepted(page, "form[action$='/poisto']") == 303
    assert httpx.get(enrolment, headers=admin.headers, timeout=10).json()["erased"] is True


def test_a_cross_site_post_with_the_cookie_is_refused_even_with_the_token(
    page: Page,  # noqa: F811
    system: RunningSystem,
    identities: IdentityFactory,
) -> None:
    tasks = system.urls["tasks"]
    sign_in_client(page, tasks, identities.client())
    cookie = next(c for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    assert token
    headers = {"Cookie": f"{cookie['name']}={cookie['value']}"}
    sent = {"submission_id": str(uuid4()), CSRF_FIELD: token}
    cross_site = httpx.post(
        tasks + "/tapaamiset", data=sent, headers={**headers, "Sec-Fetch-Site": "cross-site"}
    )
    assert cross_site.status_code == 403 and cross_site.json()["code"] == "error.csrf"
    same_site = httpx.post(
        tasks + "/tapaamiset", data=sent, headers={**headers, "Sec-Fetch-Site": "same-origin"}
    )
    assert same_site.status_code != 403, same_site.text
