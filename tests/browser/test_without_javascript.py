"""Every client page works without JavaScript (issue 17, item 5): what scripts add is extra.
With JavaScript off in Chromium, a client signs in, reads the week page, opens a task,
saves a draft and sends the answer, all as plain links and form posts."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, expect

from deploy.system import RunningSystem
from tests.browser.client_sign_in import sign_in
from tests.browser.double_submit import read
from tests.support.api import open_path
from tests.support.identities import IdentityFactory
from tests.support.waiting import eventually


def test_a_client_answers_a_task_with_javascript_off(
    browser: Browser, system: RunningSystem, identities: IdentityFactory
) -> None:
    tasks = system.urls["tasks"]
    client = identities.client()
    pathway_id = open_path(system, identities.staff("counselor"), client)
    eventually(
        lambda: httpx.get(f"{tasks}/me/plan", headers=client.headers).status_code == 200,
        what="the client's plan",
    )
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="fi-FI", java_script_enabled=False
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, tasks, client)
        page.get_by_role("link").filter(has_text="Avoinna").first.click()
        expect(page.locator("#answer-form")).to_be_visible()
        task_id = page.url.rsplit("/", 1)[-1]

        page.locator("#text").fill("Ilman skriptejä")
        page.get_by_role("button", name="Tallenna luonnos").click()
        expect(page.get_by_role("status")).to_contain_text("Luonnos tallennettu")
        expect(page.locator("#text")).to_have_value("Ilman skriptejä")

        page.locator("#text").fill("Ilman skriptejä kirjoitettu vastaus.")
        page.get_by_role("button", name="Lähetä vastaus").click()
        expect(page.get_by_role("status")).to_contain_text("Kiitos")
        answers = read(f"{tasks}/pathways/{pathway_id}/answers", client)["items"]
        assert [(a["task_id"], a["text"]) for a in answers] == [
            (task_id, "Ilman skriptejä kirjoitettu vastaus.")
        ]

        page.goto(tasks + "/itsearvio/baseline")
        for fieldset in page.locator("fieldset").all():
            fieldset.locator("input[value='3']").check()
        page.get_by_role("button", name="Lähetä itsearvio").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Viikko 1")
    finally:
        context.close()
