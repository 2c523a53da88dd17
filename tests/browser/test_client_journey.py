"""One client's journey in real Chromium: sign-in, weeks 1–5 with answers, the direction
choice, a draft that survives a reload, Swedish, keyboard use; axe-core on every page."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from deploy.system import RunningSystem
from tests.browser.conftest import PageChecks
from tests.support.api import open_path
from tests.support.identities import IdentityFactory, Person


def sign_in(
    page: Page, system: RunningSystem, client: Person, checks: PageChecks, level: str = "m-bank"
) -> None:
    page.goto(system.urls["tasks"] + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tervetuloa Digipolulle")
    checks.check(page, "landing")
    page.get_by_role("link", name="Kirjaudu sisään").click()
    expect(page.get_by_role("heading", name="Tunnistaudu")).to_be_visible()
    checks.check(page, "issuer-signin")
    assert client.identity_code is not None
    page.get_by_label("Henkilötunnus").fill(client.identity_code)
    page.locator(f"#{level}").check()
    page.get_by_role("button", name="Tunnistaudu").click()


def answer_first_open_task(page: Page, checks: PageChecks, week: int, text: str) -> None:
    section = page.get_by_role("list").first
    section.get_by_role("link").filter(has_text="Avoinna").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    checks.check(page, f"week{week}-task")
    page.get_by_role("textbox").fill(text)
    page.get_by_role("button", name="Lähetä vastaus").click()
    expect(page.get_by_role("status")).to_contain_text("Kiitos")
    checks.check(page, f"week{week}-answered")
    page.get_by_role("link", name="Takaisin omalle polulle").click()


def test_client_walks_weeks_one_to_five(
    page: Page, system: RunningSystem, identities: IdentityFactory
) -> None:
    checks = PageChecks("client")
    counselor = identities.staff("counselor")
    client = identities.client()
    pathway_id = open_path(system, counselor, client)

    sign_in(page, system, client, checks)
    expect(page.get_by_role("heading", level=1)).to_have_text("Viikko 1")
    checks.check(page, "home-week1")

    # A draft saved without JavaScript survives a reload.
    page.get_by_role("list").first.get_by_role("link").nth(1).click()
    draft = "Luonnos: olen hyvä tekemään ruokaa ja "
    page.get_by_role("textbox").fill(draft)
    page.get_by_role("button", name="Tallenna luonnos").click()
    expect(page.get_by_role("status")).to_contain_text("Luonnos tallennettu")
    page.reload()
    expect(page.get_by_role("textbox")).to_have_value(draft)
    checks.check(page, "draft-kept")
    # An over-long answer is refused with the limit stated, and the text stays.
    page.get_by_role("textbox").fill("a" * 4001)
    page.get_by_role("button", name="Lähetä vastaus").click()
    expect(page.get_by_role("alert")).to_contain_text("4000")
    expect(page.get_by_role("textbox")).to_have_value("a" * 4001)
    checks.check(page, "too-long")
    page.get_by_role("link", name="Takaisin omalle polulle").click()

    answer_first_open_task(page, checks, 1, "Pidän ihmisten kanssa toimimisesta.")
    for week in range(2, 6):
        opened = httpx.post(
            f"{system.urls['tasks']}/pathways/{pathway_id}/weeks/open-next",
            headers=counselor.headers,
        )
        assert opened.status_code == 200, opened.text
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Viikko {week}")
        answer_first_open_task(page, checks, week, f"Viikon {week} vastaus: opin uutta.")

    # Week 5: the direction.
    page.get_by_role("link", name="On aika valita suunta").click()
    checks.check(page, "direction")
    page.get_by_label("Työelämä").check()
    page.get_by_label("Miksi valitsit").fill("Haluan töihin kaupan alalle.")
    page.get_by_role("button", name="Vahvista valinta").click()
    expect(page.get_by_role("status")).to_have_text("Valitsit suunnaksi työelämän.")
    checks.check(page, "direction-chosen")

    # Swedish is one click away, and stays chosen.
    page.get_by_role("link", name="På svenska").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Välj din riktning")
    page.get_by_role("link", name="Tillbaka till min stig").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vecka 5")
    checks.check(page, "home-swedish")

    # Keyboard: the first Tab reaches the skip link, and focus is visible.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Gå till innehållet"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")

    plan = httpx.get(
        f"{system.urls['tasks']}/pathways/{pathway_id}/plan", headers=counselor.headers
    ).json()
    answered = [t["task_id"] for w in plan["weeks"] for t in w["tasks"] if t["answered"]]
    assert len(answered) == 5 and plan["direction"] == "work"
    assert len(checks.pages) >= 14


def test_weak_identification_gets_a_clear_refusal(
    page: Page, system: RunningSystem, identities: IdentityFactory
) -> None:
    checks = PageChecks("weak")
    client = identities.client()
    sign_in(page, system, client, checks, level="m-weak")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kirjautuminen ei onnistunut")
    expect(page.get_by_role("alert")).to_contain_text("vahvan tunnistautumisen")
    checks.check(page, "refused")


def test_a_double_submitted_form_stores_one_answer(
    page: Page, system: RunningSystem, identities: IdentityFactory
) -> None:
    checks = PageChecks("double")
    counselor = identities.staff("counselor")
    client = identities.client()
    pathway_id = open_path(system, counselor, client)
    sign_in(page, system, client, checks)
    page.get_by_role("list").first.get_by_role("link").first.click()
    form = page.locator("#answer-form")
    submission = form.locator("input[name=submission_id]").input_value()
    task_path = page.url.split(system.urls["tasks"])[1]
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    for _ in range(2):  # the same form sent twice, as a double click does
        response = httpx.post(
            system.urls["tasks"] + task_path,
            cookies=cookies,
            data={"text": "Kerran vain.", "action": "submit", "submission_id": submission},
            follow_redirects=False,
        )
        assert response.status_code == 303
    plan = httpx.get(
        f"{system.urls['tasks']}/pathways/{pathway_id}/plan", headers=counselor.headers
    ).json()
    assert plan["version"] == 3  # PlanStarted, TaskAnswered, TaskCompleted: once
