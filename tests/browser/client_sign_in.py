"""A client signing in to the client's pages in the browser, as a person does: the landing
page's link, the development issuer's form (strong identification by bank), back to week 1."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.support.identities import Person


def sign_in(page: Page, tasks: str, client: Person) -> None:
    page.goto(tasks + "/")
    page.get_by_role("link", name="Kirjaudu sisään").click()
    assert client.identity_code is not None
    page.get_by_label("Henkilötunnus").fill(client.identity_code)
    page.locator("#m-bank").check()
    page.get_by_role("button", name="Tunnistaudu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Viikko 1")
