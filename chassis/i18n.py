"""Translation catalogues: Finnish first, Swedish beside it, kept as data, never in code.

A catalogue is a folder with `fi.json` and `sv.json`, each a flat map from message key to text
with `{name}` placeholders. A service layers its own catalogue over the chassis's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Literal, get_args

Language = Literal["fi", "sv"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "fi"
CHASSIS_CATALOGUE = Path(__file__).parent / "translations"


class Catalogue:
    def __init__(self, messages: dict[Language, dict[str, str]]) -> None:
        self._messages = messages

    @classmethod
    def load(cls, *folders: Path) -> Catalogue:
        """Later folders override earlier ones key by key."""
        messages: dict[Language, dict[str, str]] = {lang: {} for lang in LANGUAGES}
        for folder in (CHASSIS_CATALOGUE, *folders):
            for lang in LANGUAGES:
                path = folder / f"{lang}.json"
                if path.exists():
                    messages[lang].update(json.loads(path.read_text(encoding="utf-8")))
        return cls(messages)

    def keys(self, lang: Language) -> set[str]:
        return set(self._messages[lang])

    def text(self, key: str, lang: Language = DEFAULT_LANGUAGE, **params: object) -> str:
        template = self._messages[lang].get(key) or self._messages[DEFAULT_LANGUAGE].get(key)
        if template is None:
            # A missing text is a bug, but the reader still gets something they can report.
            return key
        try:
            return template.format(**params)
        except (KeyError, IndexError):
            return template


def negotiate_language(
    explicit: str | None, accept_language: str | None, supported: Iterable[str] = LANGUAGES
) -> Language:
    """The reader's language: an explicit choice first, then Accept-Language, then Finnish."""
    options = set(supported)
    if explicit in options:
        return explicit  # type: ignore[return-value]
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in options:
            return tag  # type: ignore[return-value]
    return DEFAULT_LANGUAGE
