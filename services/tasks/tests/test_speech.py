"""Every text the pages offer to read aloud has its audio, in Finnish and Swedish, for every
published curriculum version (decision 0042).

The texts are listed here from the curriculum files themselves, not by the build's own list,
so a text the build forgets fails. The audio is made first (as `make speech` does; a no-op
when it has been), then each file is read: a whole Ogg Opus or MP3 stream that plays about as
long as the text takes to say.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from chassis.i18n import Catalogue, Language
from services.tasks.adapters.curriculum_files import CURRICULUM_DIR, published_versions
from services.tasks.adapters.speech import (
    FORMATS,
    MP3,
    OPUS,
    VOICES,
    SpeechCache,
    Voice,
    audio_key,
    missing_programs,
)
from services.tasks.adapters.speech_build import build
from services.tasks.web import listen
from tests.support.audio_files import mp3_seconds, ogg_opus_seconds

TASKS = Path(__file__).resolve().parent.parent
LANGUAGES: tuple[Language, ...] = ("fi", "sv")
# espeak-ng at 150 words a minute says 11-15 characters a second of these texts: far outside
# this band the file is not the text (cut short, silent, another voice or speed).
CHARACTERS_PER_SECOND = (6.0, 25.0)


def texts_of(version: str) -> list[tuple[Language, str, str]]:
    """(language, where, text) of every week's introduction and every task's description,
    instructions and answer prompt, read from the curriculum file."""
    document = json.loads((CURRICULUM_DIR / f"{version}.json").read_text(encoding="utf-8"))
    found: list[tuple[Language, str, str]] = []
    for language in LANGUAGES:
        for week in document["weeks"]:
            found.append((language, f"week {week['week']} intro", week["intro"][language]))
        for task in document["tasks"]:
            for part in ("description", "instructions", "answer_prompt"):
                found.append((language, f"{task['task_id']} {part}", task[part][language]))
    return found


@pytest.fixture(scope="module")
def made() -> tuple[SpeechCache, set[str]]:
    """The cache after the build, and the keys the build says it covers."""
    missing = missing_programs()
    if missing:
        pytest.fail(f"install the Debian packages {missing} (make system-packages)")
    cache = SpeechCache.configured()
    built = build(cache, published_versions(), workers=os.cpu_count() or 1)
    return cache, {key for made in built for key in made.keys}


def test_every_text_of_every_curriculum_version_has_its_audio_in_both_formats(
    made: tuple[SpeechCache, set[str]],
) -> None:
    cache, built = made
    versions = published_versions()
    assert versions, "no curriculum version found"
    for version in versions:
        texts = texts_of(version)
        assert {language for language, _, _ in texts} == set(LANGUAGES)
        for language, where, text in texts:
            key = audio_key(VOICES[language], text)
            # Made by this build, not only left in the cache by an earlier one.
            assert key in built, f"{version} {language} {where}: not in the build"
            for audio in FORMATS:
                assert cache.path(key, audio).is_file(), f"{version} {language} {where}: no {audio}"
            opus = ogg_opus_seconds(cache.path(key, OPUS).read_bytes())
            mp3 = mp3_seconds(cache.path(key, MP3).read_bytes())
            low, high = CHARACTERS_PER_SECOND
            assert low <= len(text) / opus <= high, f"{version} {language} {where}: {opus:.1f} s"
            # The same speech in both: a format that lost its end would differ.
            assert abs(opus - mp3) < 0.5, f"{version} {language} {where}: {opus} s, {mp3} s"


def test_the_file_is_named_by_the_voice_and_the_text() -> None:
    text = "Tällä viikolla mietit, kuka olet."
    assert audio_key(VOICES["fi"], text) == audio_key(Voice("fi", "fi"), text)
    assert audio_key(VOICES["fi"], text) != audio_key(VOICES["fi"], text + " ")
    assert audio_key(VOICES["fi"], text) != audio_key(VOICES["sv"], text)
    assert re.fullmatch(r"[0-9a-f]{64}", audio_key(VOICES["sv"], text))


def test_a_text_without_audio_gets_no_player(
    made: tuple[SpeechCache, set[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    intro = {"fi": texts_of("1")[0][2], "sv": "Välkommen till Digipolku!"}
    listen.speech_cache.cache_clear()
    try:
        found = listen.spoken(intro, "fi")
        assert found is not None and found.opus.endswith(".opus") and found.mp3.endswith(".mp3")
        monkeypatch.setenv("DIGIPOLKU_SPEECH_DIR", str(tmp_path))  # an empty cache
        listen.speech_cache.cache_clear()
        assert listen.spoken(intro, "fi") is None
    finally:
        listen.speech_cache.cache_clear()


def test_every_player_on_the_pages_has_its_label_in_both_languages() -> None:
    catalogue = Catalogue.load(TASKS / "translations")
    player = re.compile(r'what="([a-z_]+)" %\}\{% include "_listen.html" %\}')
    players = set()
    for template in (TASKS / "web" / "templates").glob("*.html"):
        players |= set(player.findall(template.read_text("utf-8")))
    assert players == {"intro", "description", "instructions", "answer_prompt"}
    for language in LANGUAGES:
        for what in players:
            label = catalogue.text(f"listen.{what}", language)
            assert label.startswith("Kuuntele" if language == "fi" else "Lyssna"), label
        assert catalogue.text("listen.download", language) != "listen.download"
