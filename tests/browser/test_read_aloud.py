"""Texts read aloud in real Chromium (decision 0042): the task page's players are found by
their labels, load nothing until asked, and then play the Opus file (the smaller) whose
length the browser itself decodes; axe-core and the keyboard walk pass with them on the page."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, Request, expect

from deploy.system import RunningSystem
from services.tasks.adapters.curriculum_files import published_versions
from services.tasks.adapters.speech import SpeechCache, missing_programs
from services.tasks.adapters.speech_build import build
from tests.browser.conftest import PageChecks
from tests.browser.test_client_journey import sign_in
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory

# Asks the browser to fetch the metadata the page's preload="none" held back, and tells what
# it chose and how long it decoded the sound to be.
LOAD_METADATA = """(audio) => new Promise((resolve) => {
  audio.addEventListener('loadedmetadata',
    () => resolve({src: audio.currentSrc, seconds: audio.duration}), {once: true});
  audio.preload = 'metadata';
  audio.load();
})"""


@pytest.fixture(scope="module", autouse=True)
def audio_made() -> None:
    if missing_programs():
        pytest.fail(f"install the Debian packages {missing_programs()} (make system-packages)")
    build(SpeechCache.configured(), published_versions(), workers=os.cpu_count() or 1)


def test_the_task_page_players_are_labelled_load_nothing_first_and_play_opus(
    page: Page, system: RunningSystem, identities: IdentityFactory
) -> None:
    checks = PageChecks("read-aloud")
    client = identities.client()
    open_path(system, identities.staff("counselor"), client)
    wait_for_plan(system, client)
    sign_in(page, system, client, checks)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    fetched: list[str] = []

    def on_request(request: Request) -> None:
        if "/kuuntele/" in request.url:
            fetched.append(request.url)

    page.on("request", on_request)
    page.goto(system.urls["tasks"] + "/tehtavat/w01-t1")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    checks.check(page, "task")
    assert fetched == [], "the page fetched audio before anyone pressed play"

    for label in ("Kuuntele tehtävän kuvaus", "Kuuntele ohjeet", "Kuuntele kysymys"):
        player = page.get_by_label(label)
        expect(player).to_be_visible()
        assert player.evaluate("(audio) => audio.controls && !audio.autoplay")
    loaded = page.get_by_label("Kuuntele ohjeet").evaluate(LOAD_METADATA)
    assert loaded["src"].endswith(".opus"), loaded
    assert 1.0 < loaded["seconds"] < 60.0, loaded
    assert page.evaluate("() => document.createElement('audio').canPlayType('audio/mpeg')")
