"""The page the HTTP edge answers with before any route runs (chassis/web/edge_pages.py) is a
client page too: a form sent from a page that went stale is refused there (CSRF), and it gets
the same WCAG 2.2 AA checks as every other page (issue 17, item 4)."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from deploy.system import RunningSystem
from tests.browser.client_sign_in import sign_in
from tests.browser.conftest import PageChecks
from tests.support.api import open_path
from tests.support.identities import IdentityFactory
from tests.support.waiting import eventually

# A form as a stale page sends it: no CSRF token. Submitted natively, so that no script of the
# page (drafts.js sends answers itself) stands between the browser and the edge.
SEND_STALE_FORM = """() => {
    const form = document.createElement("form");
    form.method = "post";
    form.action = location.pathname;
    const text = document.createElement("input");
    text.name = "text";
    text.value = "Vanhentuneelta sivulta";
    form.append(text);
    document.body.append(form);
    HTMLFormElement.prototype.submit.call(form);
}"""


def test_a_form_from_a_stale_page_is_refused_on_an_accessible_page(
    page: Page, system: RunningSystem, identities: IdentityFactory
) -> None:
    checks = PageChecks("edge")
    tasks = system.urls["tasks"]
    client = identities.client()
    open_path(system, identities.staff("counselor"), client)
    eventually(
        lambda: httpx.get(f"{tasks}/me/plan", headers=client.headers).status_code == 200,
        what="the client's plan",
    )
    sign_in(page, tasks, client)
    page.get_by_role("link").filter(has_text="Avoinna").first.click()
    expect(page.locator("#answer-form")).to_be_visible()

    with page.expect_navigation() as refused:
        page.evaluate(SEND_STALE_FORM)
    response = refused.value
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Lomaketta ei lähetetty")
    expect(page.locator("main")).to_contain_text("Mitään ei tallennettu")
    checks.check(page, "stale-form-refused")
