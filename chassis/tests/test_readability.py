"""The readability measures on examples worked out by hand (decision 0043)."""

from __future__ import annotations

import pytest

from chassis.readability import (
    Limits,
    finnish_syllables,
    lix,
    measure,
    problems,
    sentences,
    strip_inflection,
    wiio,
    words,
)


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        ("talo", 2),  # ta-lo
        ("tietää", 2),  # tie-tää: a diphthong and a long vowel
        ("hakea", 3),  # ha-ke-a: e and a are no diphthong
        ("kauan", 2),  # kau-an
        ("kirjoittaa", 3),  # kir-joit-taa
        ("työllistyminen", 5),  # työl-lis-ty-mi-nen
        ("opiskelu", 4),  # o-pis-ke-lu
        ("ohjaaja", 3),  # oh-jaa-ja
    ],
)
def test_finnish_syllables(word: str, syllables: int) -> None:
    assert finnish_syllables(word) == syllables


def test_one_syllable_adding_ending_is_taken_off_before_counting() -> None:
    assert strip_inflection("talossa") == "talo"
    assert strip_inflection("Opintopolusta") == "opintopolu"
    assert strip_inflection("ohjaajasi") == "ohjaaja"
    assert strip_inflection("lyhyesti") == "lyhye"
    assert strip_inflection("sta") == "sta"  # never down to nothing


def test_sentences_and_words_read_placeholders_as_words_and_skip_markup() -> None:
    text = "Hei {name}! Tämä on <strong>lyhyt</strong> teksti. Onko se selvä?"
    assert len(sentences(text)) == 3
    assert words(text) == ["Hei", "X", "Tämä", "on", "lyhyt", "teksti", "Onko", "se", "selvä"]
    assert words("työ-elämä ja/tai koulu") == ["työ", "elämä", "ja", "tai", "koulu"]


def test_wiio_counts_words_of_four_or_more_syllables() -> None:
    # 10 words; one (opiskelusta → opiskelu, 4 syllables) is long: 2.7 + 30 × 1/10 = 5.7.
    text = "Hän kertoo opiskelusta. Me kuuntelemme. Se on hyvä ja kiva."
    assert wiio(text) == pytest.approx(5.7)
    assert wiio("Talo on iso.") == pytest.approx(2.7)
    assert wiio("") == 0.0


def test_lix_is_sentence_length_plus_percentage_of_long_words() -> None:
    # 8 words in 2 sentences (4 a sentence); 3 of 8 longer than six letters (tidningen,
    # handlar, arbetsmarknaden: 37.5 %): 41.5.
    text = "Jag läser tidningen idag. Den handlar om arbetsmarknaden."
    assert lix(text) == pytest.approx(4 + 37.5)


def test_problems_name_what_to_fix() -> None:
    limits = Limits(max_score=9.0, max_sentence_words=5, max_word_letters=10, min_words_for_score=3)
    figures = measure("Harjoittelette työhaastattelua valintahaastattelussa tänään.", "fi")
    found = problems(figures, limits)
    assert any(p.startswith("Wiio") for p in found)
    assert "'valintahaastattelussa' has 21 letters > 10" in found
    assert problems(measure("Tämä on helppo.", "fi"), limits) == []
    # An official name is quoted as it is: not held to the word length.
    swedish = Limits(
        max_score=40.0, max_sentence_words=5, max_word_letters=10, min_words_for_score=12
    )
    name = measure("Läs på Arbetshälsoinstitutets sidor.", "sv")
    assert problems(name, swedish, frozenset({"Arbetshälsoinstitutets"})) == []
    assert problems(name, swedish) == ["'Arbetshälsoinstitutets' has 22 letters > 10"]


def test_short_labels_are_not_held_to_the_formula() -> None:
    limits = Limits(max_score=9.0, max_sentence_words=15, max_word_letters=20)
    assert problems(measure("Itsearvio", "fi"), limits) == []
