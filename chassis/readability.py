"""Readability figures of a Finnish or Swedish text: Wiio, LIX, sentence and word length.

Pure functions, no I/O (decision 0043). The formulas:

- **Wiio's formula, simple form** (Osmo A. Wiio, *Ymmärrettävä tiedottaminen*, 1968; in the form
  used by Voikko's `voikko-readability`, after J. Haataja's TKK thesis):
  ``grade = 2.7 + 30 × (words whose base form has 4 or more syllables) / words`` — the Finnish
  school grade the text suits. Voikko takes each word's base form from its dictionary; this
  module has none, so it strips one syllable-adding inflection (`strip_inflection`) and counts
  the syllables left with the Finnish syllable rule (`finnish_syllables`). The rough stem errs
  on the long side, so the figure is a little higher (stricter) than Voikko's.
- **LIX** (Carl-Hugo Björnsson, *Läsbarhet*, 1968):
  ``LIX = words / sentences + 100 × (words of more than 6 letters) / words``.

A hyphenated compound counts as its parts for word length, LIX and Wiio: the hyphen is how plain
Finnish (selkokieli) makes a long compound readable (``työ-elämä``), so splitting one is a fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Language = Literal["fi", "sv"]

# A placeholder ({name}) is read as one short word; markup, if any, is not read at all.
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_MARKUP = re.compile(r"<[^>]+>")
# A sentence ends at . ! ? (or a run of them) before a space or the end, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”»)]*\s+|\n+")
# A word is a run of letters and digits; hyphen and slash separate the parts of a compound.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

_VOWELS = frozenset("aeiouyäöå")
# Two vowels that stay in one syllable: long vowels and the Finnish diphthongs.
_DIPHTHONGS = ("ai", "ei", "oi", "ui", "yi", "äi", "öi", "au", "eu", "iu", "ou", "ey", "iy", "äy")
_ONE_SYLLABLE_PAIRS = frozenset(
    [v + v for v in "aeiouyäö"] + [*_DIPHTHONGS, "öy", "ie", "uo", "yö"]
)
# Case endings, possessive suffixes, the adverb ending -sti and clitics that add a syllable to
# a Finnish word; one of them (the longest that leaves a stem of at least 3 letters) is taken
# off before counting.
_CASES = ("ssa", "ssä", "sta", "stä", "lla", "llä", "lta", "ltä", "lle", "ksi", "ineen")
_CASES_WITH_POSSESSIVE = ("ssaan", "ssään", "staan", "stään", "llaan", "llään", "ltaan", "ltään")
_OTHERS = ("lleen", "kseen", "nsa", "nsä", "mme", "nne", "si", "ni", "sti", "kin", "han", "hän")
_INFLECTIONS = tuple(
    sorted((*_CASES, *_CASES_WITH_POSSESSIVE, *_OTHERS, "ko", "kö"), key=len, reverse=True)
)


def plain_text(text: str) -> str:
    """The text as read: markup dropped, each placeholder one short word."""
    return _PLACEHOLDER.sub("X", _MARKUP.sub(" ", text))


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(plain_text(text).strip()) if _WORD.search(s)]


def words(text: str) -> list[str]:
    return _WORD.findall(plain_text(text))


def finnish_syllables(word: str) -> int:
    """Syllables of a Finnish word: one per vowel nucleus, a nucleus being one vowel, a long
    vowel or a diphthong (``tie-tää`` 2, ``ha-ke-a`` 3, ``kau-an`` 2)."""
    count = 0
    lowered = word.lower()
    i = 0
    while i < len(lowered):
        if lowered[i] in _VOWELS:
            count += 1
            if lowered[i : i + 2] in _ONE_SYLLABLE_PAIRS:
                i += 1
        i += 1
    return max(count, 1)


def strip_inflection(word: str) -> str:
    """A rough Finnish stem: the word less one syllable-adding ending (``talossa`` → ``talo``)."""
    lowered = word.lower()
    for ending in _INFLECTIONS:
        if lowered.endswith(ending) and len(lowered) - len(ending) >= 3:
            return lowered[: -len(ending)]
    return lowered


def wiio(text: str) -> float:
    """Wiio's simple formula: the school grade (about 3–15) the Finnish text suits."""
    found = words(text)
    if not found:
        return 0.0
    long_words = sum(1 for w in found if finnish_syllables(strip_inflection(w)) >= 4)
    return 2.7 + 30.0 * long_words / len(found)


def lix(text: str) -> float:
    """LIX: mean words per sentence plus the percentage of words longer than six letters."""
    found = words(text)
    if not found:
        return 0.0
    long_words = sum(1 for w in found if len(w) > 6)
    return len(found) / max(len(sentences(text)), 1) + 100.0 * long_words / len(found)


@dataclass(frozen=True)
class Figures:
    """What the check measures of one text."""

    language: Language
    words: int
    score: float  # Wiio for Finnish, LIX for Swedish
    longest_sentence: int  # words
    mean_sentence: float  # words
    longest_word: str
    all_words: tuple[str, ...]

    def long_words(self, letters: int) -> list[str]:
        """The words longer than `letters`, longest first."""
        return sorted((w for w in set(self.all_words) if len(w) > letters), key=len, reverse=True)

    @property
    def formula(self) -> str:
        return "Wiio" if self.language == "fi" else "LIX"


def measure(text: str, language: Language) -> Figures:
    found = words(text)
    lengths = [len(words(s)) for s in sentences(text)] or [0]
    return Figures(
        language=language,
        words=len(found),
        score=wiio(text) if language == "fi" else lix(text),
        longest_sentence=max(lengths),
        mean_sentence=len(found) / max(len(lengths), 1),
        longest_word=max(found, key=len, default=""),
        all_words=tuple(found),
    )


@dataclass(frozen=True)
class Limits:
    """The thresholds a client's text must meet (justified in decision 0043)."""

    max_score: float  # Wiio grade (fi) or LIX (sv)
    max_sentence_words: int
    max_word_letters: int
    # The formulas say little about a label of a few words (one long word in a two-word button
    # is 50 % long words), so below this many words only sentence and word length are checked.
    min_words_for_score: int = 12


def problems(figures: Figures, limits: Limits, names: frozenset[str] = frozenset()) -> list[str]:
    """What in the text breaks the limits, in words a writer can act on; empty when it passes.

    `names` are official names (of an organisation, a service) a text must quote as they are:
    they are not held to the word length, though the formulas still count them."""
    found: list[str] = []
    if figures.words >= limits.min_words_for_score and figures.score > limits.max_score:
        found.append(f"{figures.formula} {figures.score:.1f} > {limits.max_score:g}")
    if figures.longest_sentence > limits.max_sentence_words:
        found.append(
            f"a sentence of {figures.longest_sentence} words > {limits.max_sentence_words}"
        )
    too_long = [w for w in figures.long_words(limits.max_word_letters) if w not in names]
    if too_long:
        found.append(f"'{too_long[0]}' has {len(too_long[0])} letters > {limits.max_word_letters}")
    return found
