"""The clean-text rule: what is refused, what is changed, what is kept, and that the JSON
Schema published for a field agrees with the rule."""

from __future__ import annotations

import re
from typing import Annotated

import pytest
from pydantic import BaseModel, ValidationError

from chassis.clean_text import (
    BIDI_CONTROL,
    CONTROL_CHARACTER,
    LINE_BREAK,
    TOO_LONG,
    TOO_SHORT,
    CleanText,
    TextRefused,
    clean,
    scrub,
)

FREE = CleanText(20, label="field.free")
LINE = CleanText(20, label="field.line", min_length=1, single_line=True, strip=True)


@pytest.mark.parametrize(
    "char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x9f"]
)
def test_control_characters_are_refused_with_their_code_point(char: str) -> None:
    with pytest.raises(TextRefused) as refused:
        clean(f"ennen{char}jälkeen", FREE)
    assert refused.value.reason == CONTROL_CHARACTER
    assert refused.value.label == "field.free"
    assert refused.value.params["char"] == f"U+{ord(char):04X}"


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(TextRefused) as refused:
        clean("a\ud800b", FREE)
    assert refused.value.reason == CONTROL_CHARACTER


@pytest.mark.parametrize(
    "char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2069"]
)
def test_bidirectional_overrides_and_isolates_are_refused(char: str) -> None:
    with pytest.raises(TextRefused) as refused:
        clean(f"abc{char}def", FREE)
    assert refused.value.reason == BIDI_CONTROL


def test_newlines_and_tabs_stay_and_crlf_becomes_lf() -> None:
    assert clean("yksi\r\nkaksi\rkolme\n\tneljä", CleanText(100)) == "yksi\nkaksi\nkolme\n\tneljä"


def test_text_is_normalised_to_nfc() -> None:
    assert clean("a\u0308iti", FREE) == "äiti"
    assert clean("A\u030a", FREE) == "Å"


def test_meaningless_zero_width_characters_go_and_joiners_stay() -> None:
    assert clean("\ufeffsa\u200bna\u2060", FREE) == "sana"
    family = "\U0001f469\u200d\U0001f467"
    assert clean(family, FREE) == family
    assert clean("a\u200cb", FREE) == "a\u200cb"


def test_limits_count_the_cleaned_characters() -> None:
    assert clean("a\u0308" * 20, FREE) == "ä" * 20  # 40 code points sent, 20 characters seen
    with pytest.raises(TextRefused) as refused:
        clean("x" * 21, FREE)
    assert refused.value.reason == TOO_LONG
    assert refused.value.params == {"limit": 20, "length": 21}


def test_a_single_line_refuses_line_breaks_and_is_stripped() -> None:
    assert clean("  Matti ", LINE) == "Matti"
    with pytest.raises(TextRefused) as refused:
        clean("Matti\nMeikäläinen", LINE)
    assert refused.value.reason == LINE_BREAK
    with pytest.raises(TextRefused) as empty:
        clean("   ", LINE)
    assert empty.value.reason == TOO_SHORT


def test_hard_limit_lets_the_domain_word_a_little_too_long() -> None:
    rule = CleanText(10, hard_limit=20)
    assert clean("x" * 15, rule) == "x" * 15
    with pytest.raises(TextRefused):
        clean("x" * 21, rule)


def test_scrub_keeps_what_can_be_stored() -> None:
    assert scrub("hyvä\x00 teksti\u202e\r\n", CleanText(100)) == "hyvä teksti\n"
    assert scrub("x" * 30, FREE) == "x" * 20


class Form(BaseModel):
    text: Annotated[str, FREE]
    name: Annotated[str, LINE] = "x"


def test_as_a_pydantic_type_a_refusal_is_a_typed_error_with_the_label() -> None:
    assert Form(text="a\u0308\r\n").text == "ä\n"
    with pytest.raises(ValidationError) as invalid:
        Form(text="a\x00")
    error = invalid.value.errors()[0]
    assert error["type"] == "text.control_character"
    assert error["loc"] == ("text",)
    assert error["ctx"] == {"reason": "control_character", "label": "field.free", "char": "U+0000"}


@pytest.mark.parametrize(
    ("field", "value", "accepted"),
    [
        ("text", "rivi\nja\ttabulaattori", True),
        ("text", "nolla\x00", False),
        ("text", "yli\u202ekirjoitus", False),
        ("text", "c1\x85", False),
        ("name", "kaksi\nriviä", False),
        ("name", "   ", False),
        ("name", "Åsa", True),
    ],
)
def test_the_published_schema_agrees_with_the_rule(field: str, value: str, accepted: bool) -> None:
    schema = Form.model_json_schema()["properties"][field]
    assert schema["maxLength"] == 20
    assert bool(re.search(schema["pattern"], value)) is accepted
    try:
        Form.model_validate({field: value} if field == "text" else {"text": "", field: value})
    except ValidationError:
        assert not accepted
    else:
        assert accepted
