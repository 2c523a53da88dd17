"""The thread between a client and their counselor in real Chromium, on a small phone
(360×740), in Finnish and then in Swedish (decision 0041): the client asks from a task page,
the counselor sees the flag appear in the open caseload and answers from the path's timeline,
the client sees the answer announced on the week page; a message sent while the connection is
gone is kept on the device and goes when it returns. axe-core and the keyboard walk on every
page; the screenshots are test-artifacts/screenshots/messages-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from deploy.system import RunningSystem
from tests.browser.conftest import SCREENSHOTS, PageChecks
from tests.support.api import open_path_body, wait_for_plan
from tests.support.identities import IdentityFactory, Person
from tests.support.registries import register_standard

COUNSELOR = "ohjaaja-demo"  # the development issuer's demo counselor
PHONE: ViewportSize = {"width": 360, "height": 740}


@pytest.fixture
def phones(browser: Browser) -> Iterator[tuple[BrowserContext, BrowserContext]]:
    """Two phones: the client's and the counselor's (each its own cookies)."""
    made = [browser.new_context(viewport=PHONE, locale="fi-FI") for _ in range(2)]
    blocked: list[str] = []
    for context in made:
        context.set_default_timeout(15_000)
        context.on(
            "console",
            lambda message: (
                blocked.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
    yield made[0], made[1]
    for context in made:
        context.close()
    assert not blocked, "CSP violations: " + "; ".join(blocked)


def client_signs_in(page: Page, system: RunningSystem, client: Person) -> None:
    page.goto(system.urls["tasks"] + "/")
    page.get_by_role("link", name="Kirjaudu sisään").click()
    assert client.identity_code is not None
    page.get_by_label("Henkilötunnus").fill(client.identity_code)
    page.locator("#m-bank").check()
    page.get_by_role("button", name="Tunnistaudu").click()


def counselor_signs_in(page: Page, system: RunningSystem) -> None:
    page.goto(system.urls["guidance"] + "/kirjaudu")
    page.get_by_label("Outi Ohjaaja – ohjaaja").check()
    page.get_by_role("button", name="Kirjaudu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Asiakkaat")


def test_client_asks_counselor_answers_in_finnish_and_swedish_and_nothing_is_lost_offline(
    phones: tuple[BrowserContext, BrowserContext],
    system: RunningSystem,
    identities: IdentityFactory,
) -> None:
    checks = PageChecks("messages")
    register_standard(system)
    counselor = identities.staff("counselor", subject=COUNSELOR)
    client = identities.client()
    opened = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        json=open_path_body(client, first_name="Viivi", last_name=f"Viesti{uuid4().hex[:6]}"),
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
    )
    assert opened.status_code == 201, opened.text
    pathway_id = opened.json()["pathway_id"]
    plan = wait_for_plan(system, client)
    task = plan["weeks"][0]["tasks"][0]
    client_phone, counselor_phone = phones
    mine, theirs = client_phone.new_page(), counselor_phone.new_page()
    tasks, guidance = system.urls["tasks"], system.urls["guidance"]

    # The counselor has the caseload open while the client asks from a task page.
    counselor_signs_in(theirs, system)
    row = theirs.get_by_role("row").filter(has_text="Viivi")
    expect(row).to_be_visible(timeout=30_000)
    expect(row).not_to_contain_text("Uusi viesti")
    client_signs_in(mine, system, client)
    mine.goto(f"{tasks}/tehtavat/{task['task_id']}")
    mine.get_by_role("link", name="Kirjoita ohjaajalle tai lue viestit").click()
    expect(mine.get_by_role("heading", level=1)).to_have_text("Kysy ohjaajalta")
    expect(mine.get_by_text("Kysyt tehtävästä:")).to_be_visible()
    checks.check(mine, "client-asks")
    mine.get_by_label("Viestisi ohjaajalle").fill("Mitä tässä tehtävässä pitää kirjoittaa?")
    mine.get_by_role("button", name="Lähetä viesti").click()
    expect(mine.locator(".message.success")).to_have_text("Viesti on lähetetty ohjaajalle.")
    expect(mine.locator(".thread")).to_contain_text("Mitä tässä tehtävässä pitää kirjoittaa?")
    checks.check(mine, "client-sent")

    # The flag appears in the open caseload without a reload (its change stream); the
    # counselor answers from the path's timeline.
    expect(row).to_contain_text("Uusi viesti", timeout=15_000)
    checks.check(theirs, "caseload-flag")
    theirs.goto(f"{guidance}/asiakkaat/{pathway_id}")
    theirs.get_by_role("link", name="Viestit asiakkaan kanssa").click()
    expect(theirs.locator(".thread")).to_contain_text("Mitä tässä tehtävässä pitää kirjoittaa?")
    checks.check(theirs, "counselor-reads")
    theirs.get_by_label("Vastaa asiakkaalle").fill("Kirjoita omin sanoin, lyhyesti riittää.")
    theirs.get_by_role("button", name="Lähetä viesti").click()
    expect(theirs.get_by_role("status")).to_contain_text("Viesti on lähetetty.")
    checks.check(theirs, "counselor-answered")
    theirs.goto(guidance + "/")
    expect(theirs.get_by_role("row").filter(has_text="Viivi")).not_to_contain_text("Uusi viesti")

    # The week page tells the client; the thread shows the answer as new.
    mine.goto(tasks + "/")
    expect(mine.get_by_text("Sinulle on uusia viestejä ohjaajalta: 1")).to_be_visible()
    checks.check(mine, "week-unread")
    mine.get_by_role("link", name="Kirjoita ohjaajalle tai lue viestit").click()
    expect(mine.locator(".thread")).to_contain_text("Kirjoita omin sanoin, lyhyesti riittää.")
    expect(mine.locator(".thread")).to_contain_text("Uusi")
    checks.check(mine, "client-reads-answer")

    # In Swedish, with the connection cut as the client sends: the text stays on the phone.
    mine.get_by_role("link", name="På svenska").click()
    expect(mine.get_by_role("heading", level=1)).to_have_text("Fråga din handledare")
    mine.get_by_label("Ditt meddelande till handledaren").fill("Tack! Hur lång ska texten vara?")
    client_phone.set_offline(True)
    mine.get_by_role("button", name="Skicka meddelandet").click()
    expect(mine.locator("#viesti-tila")).to_have_text(
        "Ingen anslutning — din text är sparad. Den skickas när nätet fungerar igen."
    )
    mine.screenshot(path=str(SCREENSHOTS / "messages-offline.png"), full_page=True)
    kept = mine.evaluate("() => localStorage.getItem('digipolku-message:/viestit')")
    assert kept is not None and "Hur lång ska texten vara?" in kept
    client_phone.set_offline(False)
    expect(mine.locator(".message.success")).to_have_text(
        "Meddelandet har skickats till handledaren.", timeout=40_000
    )
    assert mine.evaluate("() => localStorage.getItem('digipolku-message:/viestit')") is None
    checks.check(mine, "client-swedish-sent")

    theirs.goto(f"{guidance}/asiakkaat/{pathway_id}/viestit")
    theirs.get_by_role("link", name="På svenska").click()
    expect(theirs.get_by_role("heading", level=1)).to_have_text("Meddelanden med klienten")
    thread = theirs.locator(".thread")
    expect(thread).to_contain_text("Tack! Hur lång ska texten vara?")
    expect(thread.get_by_text("Hur lång ska texten vara?")).to_have_count(1)  # sent once
    theirs.get_by_label("Svara klienten").fill("Några meningar räcker.")
    theirs.get_by_role("button", name="Skicka meddelandet").click()
    expect(theirs.get_by_role("status")).to_contain_text("Meddelandet har skickats.")
    checks.check(theirs, "counselor-swedish")

    mine.goto(tasks + "/")
    expect(mine.get_by_text("Du har nya meddelanden från din handledare: 1")).to_be_visible()
    mine.get_by_role("link", name="Skriv till din handledare eller läs meddelandena").click()
    expect(mine.locator(".thread")).to_contain_text("Några meningar räcker.")
    checks.check(mine, "client-swedish-answer")
