"""The plain-language check of the client's texts (decision 0043).

`python -m services.tasks.plain_language --report` prints the figures and the ten hardest texts;
`--staff` adds the counselors' and managers' texts (not held to the limits), `--curriculum PATH`
measures another curriculum file (e.g. an earlier version). A test runs `failures()` in
`make test`.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chassis.readability import Figures, Language, Limits, measure, problems
from services.tasks.adapters.client_texts import (
    TASKS_CATALOGUE,
    ClientText,
    catalogue_texts,
    client_texts,
    curriculum_texts,
    instrument_texts,
    staff_texts,
)

# Why these numbers: decision 0043.
LIMITS: dict[Language, Limits] = {
    "fi": Limits(max_score=9.0, max_sentence_words=15, max_word_letters=20),
    "sv": Limits(max_score=40.0, max_sentence_words=18, max_word_letters=18),
}

# Official names a text quotes as they are (a client searches for them as written); they are
# exempt from the word length only.
NAMES = frozenset(
    {
        "Arbetshälsoinstitutet",
        "Arbetshälsoinstitutets",
        "Utbildningsstyrelsen",
        "Utbildningsstyrelsens",
        "Työterveyslaitoksen",
        "Työterveyslaitos",
    }
)


@dataclass(frozen=True)
class Measured:
    text: ClientText
    figures: Figures
    problems: list[str]

    @property
    def severity(self) -> float:
        """How far past its limits the text is (1.0 = at a limit), to rank the hardest."""
        limits = LIMITS[self.text.language]
        figures = self.figures
        longest = max((len(w) for w in figures.all_words if w not in NAMES), default=0)
        ratios = [
            figures.longest_sentence / limits.max_sentence_words,
            longest / limits.max_word_letters,
        ]
        if figures.words >= limits.min_words_for_score:
            ratios.append(figures.score / limits.max_score)
        return max(ratios)

    def line(self) -> str:
        f = self.figures
        where = f"{self.text.source} {self.text.key} [{self.text.language}]"
        figures = (
            f"{f.formula} {f.score:.1f}, {f.words} words, sentences ≤{f.longest_sentence}"
            f" (mean {f.mean_sentence:.1f}),"
            f" longest word '{f.longest_word}' ({len(f.longest_word)})"
        )
        verdict = "; ".join(self.problems) or "ok"
        return f"{where}: {figures} — {verdict}"


def measure_all(texts: Sequence[ClientText]) -> list[Measured]:
    found = []
    for text in texts:
        figures = measure(text.text, text.language)
        found.append(Measured(text, figures, problems(figures, LIMITS[text.language], NAMES)))
    return found


def failures(texts: Sequence[ClientText] | None = None) -> list[Measured]:
    return [m for m in measure_all(client_texts() if texts is None else texts) if m.problems]


def hardest(measured: Sequence[Measured], count: int = 10) -> list[Measured]:
    return sorted(measured, key=lambda m: m.severity, reverse=True)[:count]


def summary(measured: Sequence[Measured]) -> list[str]:
    """Per language: the formula's mean and worst over the texts long enough for it, and how
    many texts fail."""
    lines = []
    for language in ("fi", "sv"):
        own = [m for m in measured if m.text.language == language]
        limits = LIMITS[language]
        scored = [m.figures.score for m in own if m.figures.words >= limits.min_words_for_score]
        formula = "Wiio" if language == "fi" else "LIX"
        mean = statistics.fmean(scored) if scored else 0.0
        lines.append(
            f"{language}: {len(own)} texts, {formula} mean {mean:.1f} and worst "
            f"{max(scored, default=0.0):.1f} over the {len(scored)} texts of "
            f"{limits.min_words_for_score}+ words; longest sentence "
            f"{max((m.figures.longest_sentence for m in own), default=0)} words; "
            f"{sum(1 for m in own if m.problems)} fail"
        )
    return lines


def report(measured: Sequence[Measured], title: str) -> str:
    lines = [title, *summary(measured), "The ten hardest:"]
    lines += [f"  {m.line()}" for m in hardest(measured)]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="print the figures (default)")
    parser.add_argument("--staff", action="store_true", help="also the staff's texts")
    parser.add_argument("--curriculum", type=Path, help="measure this curriculum file instead")
    parser.add_argument("--failing", action="store_true", help="list every failing text")
    args = parser.parse_args(argv)
    if args.curriculum:
        texts = [
            *curriculum_texts(args.curriculum),
            *catalogue_texts(TASKS_CATALOGUE),
            *(t for t in client_texts() if t.source.startswith("chassis")),
        ]
    else:
        texts = client_texts()
    measured = measure_all(texts)
    print(report(measured, "Client texts"))
    instruments = measure_all(list(instrument_texts()))
    print(report(instruments, "Self-assessment instruments (reported, not held to the limits)"))
    if args.failing:
        print("Failing:")
        print("\n".join(f"  {m.line()}" for m in measured if m.problems))
    if args.staff:
        print(report(measure_all(staff_texts()), "Staff texts (not held to the limits)"))
    return 1 if any(m.problems for m in measured) else 0


if __name__ == "__main__":
    raise SystemExit(main())
