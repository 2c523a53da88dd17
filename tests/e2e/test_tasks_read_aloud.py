"""The texts read aloud on the client's pages (decision 0042): a task page offers its
description, instructions and answer prompt, the week page its introduction, each as a
labelled player with no autoplay right before the text itself (the transcript), in the
reader's language; the tasks service serves the files with their content type, for a year,
and in ranges."""

from __future__ import annotations

import html
import os
import re

import httpx
import pytest

from deploy.system import RunningSystem
from services.tasks.adapters.curriculum_files import load_curriculum, published_versions
from services.tasks.adapters.speech import SpeechCache, missing_programs
from services.tasks.adapters.speech_build import build
from tests.support.api import open_path, wait_for_plan
from tests.support.audio_files import mp3_seconds, ogg_opus_seconds
from tests.support.identities import IdentityFactory
from tests.support.sign_in import sign_in

PLAYER = re.compile(
    r'<div class="listen">\s*'
    r'<span class="hint" id="listen-(?P<what>[a-z_]+)">(?P<label>[^<]+)</span>\s*'
    r"<audio (?P<attributes>[^>]*)>\s*"
    r'<source src="(?P<opus>[^"]+)" type="audio/ogg; codecs=opus">\s*'
    r'<source src="(?P<mp3>[^"]+)" type="audio/mpeg">'
)


@pytest.fixture(scope="module", autouse=True)
def audio_made() -> None:
    """The audio `make speech` makes (a no-op when it has): the pages offer only that."""
    if missing_programs():
        pytest.fail(f"install the Debian packages {missing_programs()} (make system-packages)")
    build(SpeechCache.configured(), published_versions(), workers=os.cpu_count() or 1)


def players(page: httpx.Response) -> dict[str, re.Match[str]]:
    assert page.status_code == 200, page.text
    return {found["what"]: found for found in PLAYER.finditer(page.text)}


def text_follows(page: str, player: re.Match[str], text: str) -> bool:
    """The text is the next thing on the page after its player (within a line or two)."""
    after = page[player.end() :]
    return text in html.unescape(after[: after.index("</div>") + 40 + len(text) * 2])


def test_a_task_page_and_the_week_page_offer_their_texts_read_aloud_in_both_languages(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor, client = identities.staff("counselor"), identities.client()
    open_path(system, counselor, client)
    wait_for_plan(system, client)
    session = sign_in(system, "tasks", identity_code=client.identity_code)
    task = load_curriculum().task("w01-t1")
    assert task is not None
    sources: set[str] = set()
    for language, word in (("fi", "Kuuntele"), ("sv", "Lyssna")):
        headers = {**session.headers, "Accept-Language": language}
        page = httpx.get(f"{session.base}/tehtavat/w01-t1", headers=headers, timeout=10)
        found = players(page)
        assert set(found) == {"description", "instructions", "answer_prompt"}, page.text
        for what, texts in (
            ("description", task.description),
            ("instructions", task.instructions),
            ("answer_prompt", task.answer_prompt),
        ):
            player = found[what]
            assert player["label"].startswith(word), player["label"]
            attributes = player["attributes"]
            assert "controls" in attributes and 'preload="none"' in attributes
            assert f'aria-labelledby="listen-{what}"' in attributes
            assert "autoplay" not in attributes
            assert text_follows(page.text, player, texts[language]), (what, language)
            sources |= {player["opus"], player["mp3"]}
        week = players(httpx.get(f"{session.base}/", headers=headers, timeout=10))
        assert set(week) == {"intro"} and week["intro"]["label"].startswith(word)
        sources |= {week["intro"]["opus"], week["intro"]["mp3"]}
    assert len(sources) == 16  # four texts, two languages, two formats: each its own file

    for source in sorted(sources):
        assert re.fullmatch(r"/kuuntele/[0-9a-f]{64}\.(opus|mp3)", source), source
        served = httpx.get(f"{session.base}{source}", timeout=10)  # no session needed
        assert served.status_code == 200
        kind = "audio/ogg" if source.endswith(".opus") else "audio/mpeg"
        assert served.headers["content-type"] == kind
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
        seconds = ogg_opus_seconds if kind == "audio/ogg" else mp3_seconds
        assert seconds(served.content) > 1.0
        part = httpx.get(f"{session.base}{source}", headers={"Range": "bytes=0-99"}, timeout=10)
        assert part.status_code == 206 and part.content == served.content[:100]

    for wrong in ("0" * 64 + ".opus", "0" * 64 + ".wav", "..%2F..%2Fpyproject.toml", "x.mp3"):
        assert httpx.get(f"{session.base}/kuuntele/{wrong}", timeout=10).status_code == 404
