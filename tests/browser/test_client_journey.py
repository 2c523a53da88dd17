"""One client's journey in real Chromium: sign-in, the baseline self-assessment, weeks 1–5
with answers, a meeting-required task that completes once the meeting is held, the
counselor's feedback, the direction choice, the final self-assessment and its change, a draft
that survives a reload and an expired session, Swedish, keyboard use; axe-core on every
page. The counselor's side is driven through the services' APIs (its pages are issue 4's)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
from playwright.sync_api import Page, expect

from chassis.clock import HELSINKI
from deploy.system import RunningSystem
from tests.browser.conftest import PageChecks, let_session_run_out
from tests.support.api import open_path
from tests.support.identities import IdentityFactory, Person
from tests.support.waiting import eventually

MEETING_TASK = "w02-t2"  # the curriculum's first task that needs a guidance meeting


def reload_until(page: Page, ready: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Reload until the page shows what other services have since done (bounded)."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.3)
        page.reload()


def fill_self_assessment(page: Page, value: int) -> None:
    for fieldset in page.locator("fieldset").all():
        fieldset.locator(f"input[value='{value}']").check()


def hold_the_requested_meeting(system: RunningSystem, counselor: Person, pathway_id: str) -> None:
    """The counselor schedules the meeting the client asked for, and marks it held."""
    guidance = f"{system.urls['guidance']}/pathways/{pathway_id}/meetings"
    meetings = httpx.get(guidance, headers=counselor.headers).json()["items"]
    requested = [m for m in meetings if m["state"] == "requested"]
    assert len(requested) == 1 and requested[0]["task_ids"] == [MEETING_TASK], meetings
    meeting = f"{guidance}/{requested[0]['meeting_id']}"
    starts = (datetime.now(HELSINKI) + timedelta(hours=1)).replace(microsecond=0)
    scheduled = httpx.put(
        meeting,
        json={"starts_at": starts.isoformat(), "mode": "in_person", "task_ids": [MEETING_TASK]},
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
    )
    assert scheduled.status_code == 204, scheduled.text
    held = httpx.post(
        f"{meeting}/outcome",
        json={"held": True},
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
    )
    assert held.status_code == 204, held.text


def give_feedback(
    system: RunningSystem, counselor: Person, pathway_id: str, task_id: str, text: str
) -> None:
    answers = httpx.get(
        f"{system.urls['tasks']}/pathways/{pathway_id}/answers", headers=counselor.headers
    ).json()["items"]
    answer_id = next(a["answer_id"] for a in answers if a["task_id"] == task_id)
    url = f"{system.urls['guidance']}/pathways/{pathway_id}/answers/{answer_id}/feedback"

    def given() -> dict[str, Any] | None:
        # 404 until guidance has seen the answer come through Kafka.
        response = httpx.post(
            url, json={"text": text}, headers={**counselor.headers, "Idempotency-Key": url}
        )
        return response.json() if response.status_code in (200, 201) else None

    eventually(given, what="feedback accepted once guidance has seen the answer")


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

    # The self-assessment at the start.
    page.get_by_role("link", name="Aloita täyttämällä lyhyt itsearvio").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Itsearvio polun alussa")
    checks.check(page, "assessment-baseline")
    fill_self_assessment(page, 1)
    page.get_by_role("button", name="Lähetä itsearvio").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Viikko 1")
    expect(page.get_by_role("link", name="Aloita täyttämällä")).to_have_count(0)

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
        if week == 2:
            meeting_task(page, system, counselor, pathway_id, checks)

    # Week 5: the direction.
    page.get_by_role("link", name="On aika valita suunta").click()
    checks.check(page, "direction")
    page.get_by_label("Työelämä").check()
    page.get_by_label("Miksi valitsit").fill("Haluan töihin kaupan alalle.")
    page.get_by_role("button", name="Vahvista valinta").click()
    expect(page.get_by_role("status")).to_have_text("Valitsit suunnaksi työelämän.")
    checks.check(page, "direction-chosen")

    # The counselor's feedback on the first answer shows on that task's page.
    first_task = answered_task_ids(system, counselor, pathway_id)[0]
    give_feedback(
        system, counselor, pathway_id, first_task, "Hienoa pohdintaa, jatka samaan malliin!"
    )
    page.goto(f"{system.urls['tasks']}/tehtavat/{first_task}")
    expect(page.locator(".feedback")).to_contain_text("Hienoa pohdintaa")
    checks.check(page, "feedback")
    page.goto(f"{system.urls['tasks']}/suunta")

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

    # Week 12 and the self-assessment at the end, with the change since the start.
    page.get_by_role("link", name="Suomeksi").click()
    for _ in range(6, 13):
        opened = httpx.post(
            f"{system.urls['tasks']}/pathways/{pathway_id}/weeks/open-next",
            headers=counselor.headers,
        )
        assert opened.status_code == 200, opened.text
    page.goto(system.urls["tasks"] + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Viikko 12")
    checks.check(page, "home-week12")
    page.get_by_role("link", name="Täytä lopun itsearvio").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Itsearvio polun lopussa")
    checks.check(page, "assessment-final")
    fill_self_assessment(page, 2)
    page.get_by_role("button", name="Lähetä itsearvio").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Näin arviosi muuttui")
    changes = page.locator("tbody tr td:last-child").all_inner_texts()
    # Finnish decimals: a comma (Babel, issue 14).
    assert changes and all(change == "+1,0" for change in changes), changes
    checks.check(page, "assessment-change")

    plan = httpx.get(
        f"{system.urls['tasks']}/pathways/{pathway_id}/plan", headers=counselor.headers
    ).json()
    answered = [t["task_id"] for w in plan["weeks"] for t in w["tasks"] if t["answered"]]
    assert len(answered) == 6 and plan["direction"] == "work"
    done = {t["task_id"]: t["completed"] for w in plan["weeks"] for t in w["tasks"]}
    assert done[MEETING_TASK]
    assert len(checks.pages) >= 20


def answered_task_ids(system: RunningSystem, counselor: Person, pathway_id: str) -> list[str]:
    answers = httpx.get(
        f"{system.urls['tasks']}/pathways/{pathway_id}/answers", headers=counselor.headers
    ).json()["items"]
    return [a["task_id"] for a in answers]


def meeting_task(
    page: Page, system: RunningSystem, counselor: Person, pathway_id: str, checks: PageChecks
) -> None:
    """Week 2's meeting-required task: answered, waits for the meeting, completes once held."""
    page.goto(f"{system.urls['tasks']}/tehtavat/{MEETING_TASK}")
    expect(page.get_by_text("Tähän tehtävään kuuluu ohjaustapaaminen")).to_be_visible()
    page.get_by_role("textbox").fill("Haluan puhua ohjaajan kanssa vahvuuksistani.")
    page.get_by_role("button", name="Lähetä vastaus").click()
    expect(page.get_by_role("status")).to_contain_text("Kiitos")
    expect(page.get_by_text("Odottaa ohjaustapaamista")).to_be_visible()
    page.get_by_role("button", name="Pyydä ohjaustapaamista").click()
    expect(page.get_by_role("status")).to_contain_text("Pyyntösi on lähetetty")
    expect(page.get_by_text("Pyydetty – ohjaajasi sopii ajan")).to_be_visible()
    checks.check(page, "meeting-requested")
    page.get_by_role("link", name="Takaisin omalle polulle").click()
    expect(page.get_by_role("link", name=re.compile("Odottaa ohjaustapaamista"))).to_be_visible()
    page.get_by_role("link", name="Omat ohjaustapaamiset").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ohjaustapaaminen")
    checks.check(page, "meetings")

    hold_the_requested_meeting(system, counselor, pathway_id)
    page.goto(f"{system.urls['tasks']}/tehtavat/{MEETING_TASK}")
    reload_until(
        page,
        lambda: page.get_by_text("Odottaa ohjaustapaamista").count() == 0,
        "the task completes after the meeting",
    )
    expect(page.get_by_text("Pidetty")).to_be_visible()
    checks.check(page, "meeting-held")
    page.get_by_role("link", name="Takaisin omalle polulle").click()


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
    csrf_token = form.locator("input[name=csrf_token]").input_value()  # the session's (0023)
    task_path = page.url.split(system.urls["tasks"])[1]
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    for _ in range(2):  # the same form sent twice, as a double click does
        response = httpx.post(
            system.urls["tasks"] + task_path,
            cookies=cookies,
            data={
                "text": "Kerran vain.",
                "action": "submit",
                "submission_id": submission,
                "csrf_token": csrf_token,
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
    plan = httpx.get(
        f"{system.urls['tasks']}/pathways/{pathway_id}/plan", headers=counselor.headers
    ).json()
    # PlanStarted and week 1's WeekOpened, then TaskAnswered and TaskCompleted: once.
    assert plan["version"] == 4


def test_an_expired_session_keeps_what_the_client_wrote(
    page: Page, system: RunningSystem, identities: IdentityFactory
) -> None:
    checks = PageChecks("expired")
    counselor = identities.staff("counselor")
    client = identities.client()
    open_path(system, counselor, client)
    sign_in(page, system, client, checks)
    page.get_by_role("list").first.get_by_role("link").first.click()
    task_url = page.url
    text = "Kirjoitin tämän pitkään, eikä se saa kadota."
    page.get_by_role("textbox").fill(text)
    # The session runs out while they write: no request for longer than the idle timeout.
    let_session_run_out(page, system, "tasks")
    page.get_by_role("button", name="Lähetä vastaus").click()

    # Signing in again brings them back to the task, their text kept as a draft, nothing sent.
    expect(page.get_by_role("heading", name="Tunnistaudu")).to_be_visible()
    assert client.identity_code is not None
    page.get_by_label("Henkilötunnus").fill(client.identity_code)
    page.locator("#m-bank").check()
    page.get_by_role("button", name="Tunnistaudu").click()
    expect(page.get_by_role("status")).to_contain_text("Kirjautumisesi ehti vanhentua")
    expect(page.get_by_role("textbox")).to_have_value(text)
    assert page.url.startswith(task_url)
    checks.check(page, "draft-rescued")
    plan = httpx.get(f"{system.urls['tasks']}/me/plan", headers=client.headers).json()
    assert not any(t["answered"] for w in plan["weeks"] for t in w["tasks"])


def test_a_client_without_a_path_is_told_so(
    page: Page, system: RunningSystem, identities: IdentityFactory
) -> None:
    checks = PageChecks("no-path")
    sign_in(page, system, identities.client(), checks)
    expect(page.get_by_role("heading", level=1)).to_have_text("Oma polkuni")
    expect(page.locator(".message")).to_contain_text("ole vielä avattu polkua")
    checks.check(page, "no-path")
