"""Every response sends the security headers; pages run no inline code (issue 12, item 7).

In-process: the headers on pages, API answers and errors, HSTS only in production, the
documentation pages' own policy. Templates: no inline script, style or event handler anywhere.
In Chromium: walking the client's, the counselor's and the manager's pages meets no
Content-Security-Policy violation, and the policy really blocks an injected inline script.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from deploy.system import RunningSystem
from tests.browser.conftest import browser, page  # noqa: F401 (Chromium's fixtures)
from tests.security.in_process import client, development_app, production_app
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    [*ROOT.glob("services/*/web/templates/*.html"), *ROOT.glob("chassis/web/templates/*.html")]
)
ISSUER = "http://127.0.0.1:8000"
DEMO_COUNSELOR = "ohjaaja-demo"  # the development issuer's Outi Ohjaaja


def policy(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict_page_policy(headers: httpx.Headers) -> None:
    csp = policy(headers.get("content-security-policy", ""))
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'", ISSUER]
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("referrer-policy") == "same-origin"
    permissions = headers.get("permissions-policy", "")
    for feature in ("camera", "microphone", "geolocation"):
        assert f"{feature}=()" in permissions


@pytest.mark.parametrize("service", ["tasks", "guidance", "reporting"])
async def test_a_page_sends_a_strict_policy_and_the_other_headers(service: str) -> None:
    async with client(development_app(service, oidc_issuer=ISSUER)) as http:
        landing = await http.get("/", headers={"Accept": "text/html"})
    assert landing.status_code == 200 and "<html" in landing.text
    assert_strict_page_policy(landing.headers)
    assert "strict-transport-security" not in landing.headers  # development runs on http


async def test_api_answers_and_errors_carry_the_headers_too() -> None:
    async with client(development_app("enrolment", oidc_issuer=ISSUER)) as http:
        answers = [
            await http.get("/healthz"),
            await http.get("/no-such-thing"),
            await http.get("/pathways"),  # 401 without a token
            await http.post("/pathways", content=b"x" * 70_000),  # 413 before any route
        ]
    assert [a.status_code for a in answers] == [200, 404, 401, 413]
    for answer in answers:
        assert_strict_page_policy(answer.headers)


@pytest.mark.parametrize("service", ["enrolment", "tasks"])
async def test_production_tells_browsers_to_use_https_only(service: str) -> None:
    async with client(production_app(service)) as http:
        answer = await http.get("/healthz")
    assert answer.headers["strict-transport-security"].startswith("max-age=")
    max_age = int(answer.headers["strict-transport-security"].split("=")[1].split(";")[0])
    assert max_age >= 365 * 24 * 3600
    assert (
        "https://tunnistus.kanta-hame.example"
        in policy(answer.headers["content-security-policy"])["form-action"]
    )


def sha256_source(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"


def assert_docs_policy(document: httpx.Response) -> None:
    assert document.status_code == 200
    csp = policy(document.headers["content-security-policy"])
    inline = re.findall(r"<script>(.*?)</script>", document.text, re.DOTALL)
    assert inline, "the page starts with an inline script"
    for code in inline:
        assert sha256_source(code) in csp["script-src"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'none'"]
    assert document.headers["x-content-type-options"] == "nosniff"


async def test_the_openapi_page_admits_only_its_own_inline_code() -> None:
    async with client(development_app("tasks", oidc_issuer=ISSUER)) as http:
        assert_docs_policy(await http.get("/docs"))


def test_the_asyncapi_page_admits_only_its_own_inline_code(system: RunningSystem) -> None:
    # FastStream adds its page when the service starts, so this one asks a running service.
    assert_docs_policy(httpx.get(system.urls["reporting"] + "/asyncapi", timeout=10))


# An element, attribute or URL that runs or styles inline, which the strict policy blocks.
INLINE_CODE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE
)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: f"{path.parent.parent.name}")
def test_no_template_has_inline_script_style_or_event_handler(template: Path) -> None:
    found = INLINE_CODE.findall(template.read_text("utf-8"))
    assert found == [], f"{template.relative_to(ROOT)}: {found}"


# --- In Chromium -------------------------------------------------------------------------

RECORD_VIOLATIONS = """() => {
  window.__cspViolations = window.__cspViolations || [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
  });
}"""


def watch(tab: Page) -> list[str]:
    """Every CSP violation Chromium reports on the console for any page `tab` loads."""
    reported: list[str] = []
    tab.on(
        "console",
        lambda message: (
            reported.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    tab.context.add_init_script(f"({RECORD_VIOLATIONS})()")
    return reported


@pytest.fixture
def watched(page: Page) -> tuple[Page, list[str]]:  # noqa: F811
    return page, watch(page)


def violations(tab: Page, reported: list[str]) -> list[str]:
    recorded: list[str] = tab.evaluate("() => window.__cspViolations || []")
    return [*reported, *recorded]


def test_the_policy_really_blocks_an_injected_inline_script(
    browser: Browser,  # noqa: F811
    system: RunningSystem,
) -> None:
    # A context of its own: the shared page fixture fails any test that meets a violation.
    context = browser.new_context()
    try:
        tab = context.new_page()
        reported = watch(tab)
        tab.goto(system.urls["tasks"] + "/")
        tab.evaluate(
            """() => { const s = document.createElement('script');
            s.textContent = 'window.__injected = true'; document.body.appendChild(s); }"""
        )
        assert tab.evaluate("() => window.__injected === true") is False
        assert any("script-src" in v for v in violations(tab, reported))
        # The console line every browser journey watches for (tests/browser/conftest.py).
        assert any("Content Security Policy" in line for line in reported)
    finally:
        context.close()


def test_walking_the_pages_meets_no_policy_violation(
    watched: tuple[Page, list[str]],
    system: RunningSystem,
    identities: IdentityFactory,
) -> None:
    tab, reported = watched
    counselor = identities.staff("counselor", subject=DEMO_COUNSELOR)
    person = identities.client()
    pathway_id = open_path(system, counselor, person)
    wait_for_plan(system, person)
    tasks, guidance = system.urls["tasks"], system.urls["guidance"]

    # The client: sign in, the baseline self-assessment, a task (its draft script runs).
    tab.goto(tasks + "/")
    tab.get_by_role("link", name="Kirjaudu sisään").click()
    assert person.identity_code is not None
    tab.get_by_label("Henkilötunnus").fill(person.identity_code)
    tab.locator("#m-bank").check()
    tab.get_by_role("button", name="Tunnistaudu").click()
    expect(tab.get_by_role("heading", level=1)).to_be_visible()
    for path in ("/", "/itsearvio/baseline", "/suunta", "/tapaamiset"):
        tab.goto(tasks + path)
        expect(tab.get_by_role("heading", level=1)).to_be_visible()
    tab.goto(tasks + "/")
    tab.get_by_role("list").first.get_by_role("link").first.click()
    tab.get_by_role("textbox").fill("Luonnos, jonka sivun skripti tallentaa.")
    expect(tab.locator("#draft-status")).not_to_be_empty()
    assert violations(tab, reported) == []

    # The counselor: the caseload (its live-update script runs) and the client's timeline.
    tab.context.clear_cookies()
    tab.goto(guidance + "/")
    tab.get_by_role("link", name="Kirjaudu sisään").click()
    tab.get_by_label("Outi Ohjaaja – ohjaaja").check()
    tab.get_by_role("button", name="Kirjaudu").click()
    expect(tab.locator("#caseload")).to_be_visible()
    # The caseload's script fetches the rows when guidance has seen the new path.
    expect(tab.locator(f"a[href='/asiakkaat/{pathway_id}']")).to_be_visible(timeout=30_000)
    tab.locator(f"a[href='/asiakkaat/{pathway_id}']").click()
    expect(
        tab.locator("form[action$='/palaute'], form[action$='/tulokset']").first
    ).to_be_attached()
    tab.goto(guidance + "/polut/uusi")
    expect(tab.get_by_role("heading", level=1)).to_be_visible()
    assert violations(tab, reported) == []

    # The manager: the dashboard and its charts.
    tab.context.clear_cookies()
    tab.goto(system.urls["reporting"] + "/kirjaudu")
    tab.get_by_label("Maija Mäkelä – esihenkilö").check()
    tab.get_by_role("button", name="Kirjaudu").click()
    expect(tab.get_by_role("figure").first).to_be_visible()
    assert violations(tab, reported) == []
