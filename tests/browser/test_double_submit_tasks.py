"""Every form of the client's pages that creates something, double-clicked in real Chromium
and then sent once more: exactly one thing is created, and the second submission is answered
as the first was (a redirect to the saved page, not "already answered" or a second answer).

The browser may cancel the first of two quick submissions or send both; the extra send of the
very same form fields (its submission id included) makes sure the server has seen it twice.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
from playwright.sync_api import Page, expect

from deploy.system import RunningSystem
from tests.browser.client_sign_in import sign_in
from tests.browser.double_submit import double_submit, read, saved
from tests.support.api import open_path
from tests.support.identities import IdentityFactory
from tests.support.waiting import eventually


def test_each_creating_form_of_the_clients_pages_creates_one_thing(
    page: Page, system: RunningSystem, identities: IdentityFactory
) -> None:
    tasks, guidance = system.urls["tasks"], system.urls["guidance"]
    counselor = identities.staff("counselor")
    client = identities.client()
    pathway_id = open_path(system, counselor, client)
    plan = f"{tasks}/pathways/{pathway_id}"
    eventually(
        lambda: httpx.get(f"{tasks}/me/plan", headers=client.headers).status_code == 200,
        what="the client's plan",
    )
    sign_in(page, tasks, client)

    def answers_to(task_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = read(f"{plan}/answers", client)["items"]
        return [item for item in items if item["task_id"] == task_id]

    # The baseline self-assessment: a second one would be "already given".
    page.goto(tasks + "/itsearvio/baseline")
    for fieldset in page.locator("fieldset").all():
        fieldset.locator("input[value='2']").check()
    form = page.locator("form[action='/itsearvio/baseline']")
    double_submit(
        page,
        form,
        form.get_by_role("button", name="Lähetä itsearvio"),
        lambda: expect(page.get_by_role("heading", level=1)).to_have_text("Viikko 1"),
    )
    baseline = [row["baseline"] for row in read(f"{plan}/summary", client)["self_assessment"]]
    assert baseline and all(value is not None for value in baseline)

    # An answer: one TaskAnswered, not a second refused as "already answered".
    page.goto(tasks + "/tehtavat/w01-t1")
    page.locator("#text").fill("Järjestin kalenterini.")
    form = page.locator("#answer-form")
    double_submit(
        page, form, form.get_by_role("button", name="Lähetä vastaus"), saved(page, "Kiitos")
    )
    assert [a["text"] for a in answers_to("w01-t1")] == ["Järjestin kalenterini."]

    # "I need help": the task stays open to answer, so a repeat would be a second answer.
    page.goto(tasks + "/tehtavat/w01-t2")
    form = page.locator("#answer-form")
    double_submit(
        page,
        form,
        form.get_by_role("button", name="En pystynyt tekemään tätä / tarvitsen apua"),
        saved(page, "Kiitos"),
    )
    assert [a["kind"] for a in answers_to("w01-t2")] == ["needs_help"]

    # A meeting about that task, asked for on its page: one meeting in guidance.
    form = page.locator("form[action='/tapaamiset']")
    double_submit(
        page,
        form,
        form.get_by_role("button", name="Pyydä ohjaustapaamista"),
        saved(page, "Pyyntösi on lähetetty"),
    )
    meetings = read(f"{guidance}/pathways/{pathway_id}/meetings", client)["items"]
    assert [(m["state"], m["task_ids"]) for m in meetings] == [("requested", ["w01-t2"])]

    # A draft: kept once, as written.
    page.goto(tasks + "/tehtavat/w01-t3")
    page.locator("#text").fill("Vielä kesken")
    form = page.locator("#answer-form")
    double_submit(
        page,
        form,
        form.get_by_role("button", name="Tallenna luonnos"),
        saved(page, "Luonnos tallennettu"),
    )
    expect(page.locator("#text")).to_have_value("Vielä kesken")
    assert answers_to("w01-t3") == []

    # The direction, once week 5 is open: a second choice would be "already chosen".
    for _ in range(4):
        opened = httpx.post(
            f"{plan}/weeks/open-next",
            headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
        )
        assert opened.status_code == 200, opened.text
    page.goto(tasks + "/suunta")
    page.get_by_label("Työelämä").check()
    page.locator("#reason").fill("Haluan töihin.")
    form = page.locator("form[action='/suunta']")
    double_submit(
        page,
        form,
        form.get_by_role("button", name="Vahvista valinta"),
        saved(page, "Valitsit suunnaksi työelämän"),
    )
    summary = read(f"{plan}/summary", client)
    assert (summary["direction"], summary["direction_reason"]) == ("work", "Haluan töihin.")
