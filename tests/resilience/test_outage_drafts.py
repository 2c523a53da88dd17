"""The client's draft on a weak connection (decision 0028), in real Chromium: text typed while
the database is down stays in the box and on the device, the page says it is not saved yet,
and the page script saves it by itself once the service answers again; the device's copy is
then removed."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from deploy.system import RunningSystem
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory, Person
from tests.support.waiting import eventually

TASK = "w01-t2"
STORAGE_KEY = f"digipolku-draft:/tehtavat/{TASK}/luonnos"


@pytest.fixture(scope="module")
def chromium(faulty_system: RunningSystem) -> Iterator[Browser]:
    # After the system: Playwright's sync API runs an event loop in this thread (see
    # tests/browser/conftest.py).
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: make test installs it"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def client_with_path(faulty_system: RunningSystem, faulty_identities: IdentityFactory) -> Person:
    counselor = faulty_identities.staff("counselor")
    client = faulty_identities.client()
    open_path(faulty_system, counselor, client)
    wait_for_plan(faulty_system, client)
    return client


def sign_in(page: Page, system: RunningSystem, client: Person) -> None:
    page.goto(system.urls["tasks"] + "/kirjaudu?next=/tehtavat/" + TASK)
    assert client.identity_code is not None
    page.get_by_label("Henkilötunnus").fill(client.identity_code)
    page.locator("#m-bank").check()
    page.get_by_role("button", name="Tunnistaudu").click()
    expect(page.locator("#answer-form")).to_be_visible()


@contextlib.contextmanager
def database_down(system: RunningSystem) -> Iterator[None]:
    supervisor = system.supervisor
    assert supervisor is not None
    supervisor.hold("postgres")
    system.infrastructure.postgres.stop_immediate()
    try:
        yield
    finally:
        supervisor.release("postgres")


def stored(page: Page) -> str | None:
    value = page.evaluate("key => window.localStorage.getItem(key)", STORAGE_KEY)
    return value if isinstance(value, str) else None


def test_text_typed_during_an_outage_is_kept_and_saved_when_the_service_is_back(
    faulty_system: RunningSystem, chromium: Browser, client_with_path: Person
) -> None:
    context = chromium.new_context(locale="fi-FI")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, faulty_system, client_with_path)
        box = page.locator("#text")
        box.fill("Ennen katkoa kirjoitettu.")
        expect(page.locator("#draft-status")).to_have_text("Luonnos tallennettu.")

        text = "Ennen katkoa kirjoitettu. Ja tämä katkon aikana."
        with database_down(faulty_system):
            box.press_sequentially(" Ja tämä katkon aikana.", delay=5)
            expect(page.locator("#draft-status")).to_contain_text("ei vielä saatu tallennettua")
            assert stored(page) == text  # on the device while the server cannot take it
        # Back: the script's retry saves it without anyone touching the page.
        eventually(functools.partial(faulty_system.service_ready, "tasks"), what="tasks ready")
        expect(page.locator("#draft-status")).to_have_text("Luonnos tallennettu.", timeout=45_000)
        assert stored(page) is None

        page.reload()
        expect(page.locator("#text")).to_have_value(text)  # the server's draft now
    finally:
        context.close()
