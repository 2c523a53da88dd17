"""A weak connection loses nothing (issue 17, item 6): an answer sent while the connection
drops is kept on the phone with the notice "Ei yhteyttä — tekstisi on tallessa", sent again
when the connection returns, and arrives exactly once (services/tasks/web/static/drafts.js)."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Page, Route, expect

from deploy.system import RunningSystem
from tests.browser.client_sign_in import sign_in
from tests.browser.conftest import SCREENSHOTS
from tests.browser.double_submit import read
from tests.support.api import open_path
from tests.support.identities import IdentityFactory
from tests.support.waiting import eventually

NOTICE = "Ei yhteyttä — tekstisi on tallessa"
KEPT = "() => Object.keys(localStorage).filter((key) => key.endsWith(':submit')).length"


def test_an_answer_sent_as_the_connection_drops_arrives_once_when_it_returns(
    page: Page, system: RunningSystem, identities: IdentityFactory
) -> None:
    tasks = system.urls["tasks"]
    counselor = identities.staff("counselor")
    client = identities.client()
    pathway_id = open_path(system, counselor, client)
    eventually(
        lambda: httpx.get(f"{tasks}/me/plan", headers=client.headers).status_code == 200,
        what="the client's plan",
    )
    sign_in(page, tasks, client)

    def answers_to(task_id: str) -> list[Any]:
        items = read(f"{tasks}/pathways/{pathway_id}/answers", client)["items"]
        return [item["text"] for item in items if item["task_id"] == task_id]

    # The worst case: the server stores the answer, but the connection drops before its reply
    # reaches the phone; until it comes back, every try is lost as well.
    sends: list[str] = []

    def drop(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        sends.append(route.request.post_data or "")
        if len(sends) == 1:
            route.fetch()  # reaches the server; its answer does not reach the phone
        route.abort("internetdisconnected")

    page.goto(tasks + "/tehtavat/w01-t1")
    page.route("**/tehtavat/w01-t1", drop)
    page.locator("#text").fill("Kirjoitin tämän bussissa.")
    page.get_by_role("button", name="Lähetä vastaus").click()
    expect(page.locator("#draft-status")).to_contain_text(NOTICE)
    expect(page.locator("#draft-status")).to_have_attribute("aria-live", "polite")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "offline-answer-kept.png"), full_page=True)
    assert page.evaluate(KEPT) == 1, "the answer is not kept on the device"
    # Playwright runs the route handler only while this thread waits in Playwright.
    for _ in range(100):
        if len(sends) >= 2:
            break
        page.wait_for_timeout(100)
    assert len(sends) >= 2, "no second try (back-off) with the connection still down"
    page.unroute("**/tehtavat/w01-t1")  # the connection is back: the next try gets through
    expect(page.get_by_role("status")).to_contain_text("Kiitos", timeout=20_000)
    assert answers_to("w01-t1") == ["Kirjoitin tämän bussissa."]
    assert len({body for body in sends}) == 1, "every try sends the same submission"

    # Offline before sending: nothing reaches the server until the browser is online again,
    # and then the `online` event sends it at once.
    page.goto(tasks + "/tehtavat/w01-t2")
    page.locator("#text").fill("Ilman verkkoa kirjoitettu.")
    page.context.set_offline(True)
    page.get_by_role("button", name="Lähetä vastaus").click()
    expect(page.locator("#draft-status")).to_contain_text(NOTICE)
    assert answers_to("w01-t2") == []
    page.context.set_offline(False)
    expect(page.get_by_role("status")).to_contain_text("Kiitos")
    assert answers_to("w01-t2") == ["Ilman verkkoa kirjoitettu."]
    assert page.evaluate(KEPT) == 0, "the kept copy is removed once the answer is stored"
