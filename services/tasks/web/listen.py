"""Texts read aloud on the client's pages: the audio files' route and the pages' player.

The audio is the curriculum's, the same for everyone: no personal data, so the route is
neither a page (no session) nor the API (no token), like the static files, and a file's name
is its content's hash, so browsers and proxies may keep it for a year. A text whose audio has
not been made gets no player: the text itself is on the page anyway (decision 0042).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from services.tasks.adapters.speech import (
    FORMAT_BY_SUFFIX,
    KEY,
    MP3,
    OPUS,
    VOICES,
    SpeechCache,
    audio_key,
)

LISTEN_PATH = "/kuuntele"
IMMUTABLE = "public, max-age=31536000, immutable"


@cache
def speech_cache() -> SpeechCache:
    return SpeechCache.configured()


@dataclass(frozen=True)
class Listening:
    """The player's sources for one text, the smallest first."""

    opus: str
    mp3: str


def spoken(texts: dict[str, str], language: str) -> Listening | None:
    """The audio of the text the page shows in this language, if it has been made (the pages'
    `spoken` helper; the page picks the text the same way, see chassis.web.pages)."""
    language = language if texts.get(language) else "fi"
    voice, text = VOICES.get(language), texts.get(language, "")
    if voice is None or not text:
        return None
    key = audio_key(voice, text)
    if not speech_cache().has(key):
        return None
    return Listening(f"{LISTEN_PATH}/{key}.{OPUS.suffix}", f"{LISTEN_PATH}/{key}.{MP3.suffix}")


async def audio_file(request: Request) -> Response:
    key, _, suffix = str(request.path_params["name"]).partition(".")
    audio = FORMAT_BY_SUFFIX.get(suffix)
    path = speech_cache().path(key, audio) if audio and KEY.match(key) else None
    if audio is None or path is None or not path.is_file():
        return Response(status_code=404)
    # FileResponse answers Range requests too, which Safari needs before it plays.
    return FileResponse(path, media_type=audio.media_type, headers={"Cache-Control": IMMUTABLE})


def listen_router() -> APIRouter:
    """`/kuuntele/<key>.opus|mp3`: a plain Starlette route, outside the OpenAPI document."""
    router = APIRouter()
    router.add_route(
        f"{LISTEN_PATH}/{{name}}", audio_file, methods=["GET"], include_in_schema=False
    )
    return router
