"""Make the audio of every published curriculum version (decision 0042).

`make speech` runs this (`python -m services.tasks.adapters.speech_build`), and `make run`,
`make test` and the image's build stage through it; made files are kept, so a second run only
checks. It prints, per curriculum version and language, how many texts, how long making them
took and how many bytes each format holds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from services.tasks.adapters.curriculum_files import load_curriculum, published_versions
from services.tasks.adapters.speech import (
    FORMATS,
    VOICES,
    SpeechCache,
    SpeechSettings,
    missing_programs,
)
from services.tasks.domain.curriculum import Curriculum


@dataclass(frozen=True)
class SpokenText:
    """One text of a curriculum that the pages offer to read aloud."""

    language: str
    where: str  # e.g. "w01-t1 instructions", "week 3 intro"
    text: str


def spoken_texts(curriculum: Curriculum) -> Iterator[SpokenText]:
    """Every week's introduction and every task's description, instructions and answer
    prompt, in every language (the texts `_listen.html` offers)."""
    for language in VOICES:
        for week in curriculum.weeks:
            yield SpokenText(language, f"week {week.week} intro", week.intro[language])
        for task in curriculum.tasks:
            for part, texts in (
                ("description", task.description),
                ("instructions", task.instructions),
                ("answer_prompt", task.answer_prompt),
            ):
                yield SpokenText(language, f"{task.task_id} {part}", texts[language])


@dataclass(frozen=True)
class Made:
    version: str
    language: str
    texts: int
    seconds: float
    bytes_by_format: dict[str, int]
    keys: frozenset[str]

    def line(self) -> str:
        sizes = ", ".join(
            f"{suffix} {size / 1e6:.2f} MB" for suffix, size in self.bytes_by_format.items()
        )
        return (
            f"curriculum {self.version} {self.language}: {self.texts} texts in "
            f"{self.seconds:.1f} s; {sizes}"
        )


def build(cache: SpeechCache, versions: list[str], workers: int) -> list[Made]:
    """Speak every text of these curriculum versions that is not in the cache yet."""
    made = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for version in versions:
            for language, voice in VOICES.items():
                texts = sorted(
                    {
                        s.text
                        for s in spoken_texts(load_curriculum(version))
                        if s.language == language
                    }
                )
                started = time.monotonic()
                keys = list(pool.map(cache.make, [voice] * len(texts), texts))
                made.append(
                    Made(
                        version,
                        language,
                        len(texts),
                        time.monotonic() - started,
                        {
                            audio.suffix: sum(cache.path(k, audio).stat().st_size for k in keys)
                            for audio in FORMATS
                        },
                        frozenset(keys),
                    )
                )
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--into", type=Path, default=SpeechSettings().speech_dir)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    missing = missing_programs()
    if missing:
        print(f"Please install these Debian packages: {' '.join(missing)}", file=sys.stderr)
        return 1
    for made in build(SpeechCache(args.into), published_versions(), args.workers):
        print(made.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
