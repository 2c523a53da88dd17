"""Clean text: one rule for every piece of free text a person sends us.

Text is stored, put into events, shown to counselors and published, so it must be plain,
printable and in one Unicode form. The rule (decision 0014):
- CRLF and CR become LF (browsers send a textarea's lines with CRLF);
- NUL and every other control character (C0, DEL, C1) except newline and tab are refused,
  as are lone surrogates, which no database or JSON encoder can store;
- bidirectional overrides, embeddings and isolates are refused: they can make a text read
  differently from what it is ("Trojan source");
- zero-width characters that carry no meaning (U+200B, U+2060, U+FEFF) are removed, while
  ZWNJ and ZWJ (U+200C, U+200D) stay because emoji and some scripts need them;
- the result is normalised to NFC, so "a" + combining diaeresis is stored as "ä";
- limits count the cleaned text's characters, the ones the person sees.

Plain Python: the HTTP models annotate a field with `CleanText(...)`, page forms call
`clean(text, CleanText(...))`; both raise the same reasons, which the HTTP layer words in
Finnish and Swedish.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

# Reasons a text is refused; each is an error type and a message key `error.text.<reason>`.
CONTROL_CHARACTER = "control_character"
BIDI_CONTROL = "bidi_control"
LINE_BREAK = "line_break"
TOO_LONG = "too_long"
TOO_SHORT = "too_short"
REASONS = (CONTROL_CHARACTER, BIDI_CONTROL, LINE_BREAK, TOO_LONG, TOO_SHORT)
ERROR_TYPE_PREFIX = "text."

_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
# Removed silently: they are invisible and mean nothing in our texts (U+FEFF is a stray BOM).
_REMOVED = dict.fromkeys(map(ord, "\u200b\u2060\ufeff"))
_KEPT_CONTROLS = frozenset("\n\t")


class TextRefused(ValueError):
    """A text that cannot be stored; `label` is the message key of the field's name."""

    def __init__(self, reason: str, label: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.label = label
        self.params = params


@dataclass(frozen=True)
class CleanText:
    """How one field's text is cleaned and bounded; also a pydantic annotation:
    `Annotated[str, CleanText(4000, label="tasks.field.answer")]`.

    `label` is the message key of the field's name in the translation catalogues, so a refusal
    names the field as the person knows it. `hard_limit` (above `max_length`) is for a text
    whose domain words its own refusal ("your answer is 4012 characters, at most 4000; your
    draft is kept"): the schema documents `max_length`, the domain refuses what is longer, and
    only what is longer than `hard_limit` is refused here.
    """

    max_length: int
    label: str = ""
    min_length: int = 0
    single_line: bool = False
    strip: bool = False
    hard_limit: int | None = None

    def apply(self, value: str) -> str:
        text = value.replace("\r\n", "\n").replace("\r", "\n")
        if self.single_line and "\n" in text:
            raise TextRefused(LINE_BREAK, self.label)
        for char in text:
            if char in _KEPT_CONTROLS:
                continue
            category = unicodedata.category(char)
            if category in ("Cc", "Cs"):
                raise TextRefused(CONTROL_CHARACTER, self.label, char=_code_point(char))
            if char in _BIDI_CONTROLS:
                raise TextRefused(BIDI_CONTROL, self.label, char=_code_point(char))
        text = unicodedata.normalize("NFC", text.translate(_REMOVED))
        if self.single_line:
            text = text.replace("\t", " ")
        if self.strip:
            text = text.strip()
        limit = self.hard_limit or self.max_length
        if len(text) > limit:
            raise TextRefused(TOO_LONG, self.label, limit=limit, length=len(text))
        if len(text) < self.min_length:
            raise TextRefused(TOO_SHORT, self.label, limit=self.min_length)
        return text

    def validate(self, value: str) -> str:
        """The pydantic face of `apply`: a refusal becomes a typed validation error."""
        try:
            return self.apply(value)
        except TextRefused as refused:
            raise PydanticCustomError(
                ERROR_TYPE_PREFIX + refused.reason,
                "text refused: {reason}",
                {"reason": refused.reason, "label": refused.label, **refused.params},
            ) from None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.validate, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        documented: dict[str, Any] = {
            "type": "string",
            "maxLength": self.max_length,
            "pattern": _pattern(self),
        }
        if self.min_length:
            documented["minLength"] = self.min_length
        return documented


def _pattern(rule: CleanText) -> str:
    """The rule as a JSON Schema pattern, so that generated and documented examples pass it."""
    refused = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
    if rule.single_line:
        refused += r"\n\r"
    if rule.strip and rule.min_length:
        # Something other than white space, said without a lookahead: generators (hypothesis,
        # schemathesis) turn a lookahead into filtering, which made fuzzing 30 times slower.
        return rf"^[^{refused}]*[^{refused}\s][^{refused}]*$"
    return f"^[^{refused}]*$"


def _code_point(char: str) -> str:
    return f"U+{ord(char):04X}"


def clean(value: str, rule: CleanText) -> str:
    """Clean one page form's text; raises `TextRefused` with the reason and the field's label."""
    return rule.apply(value)


def scrub(value: str, rule: CleanText) -> str:
    """The storable part of a text, for rescuing what a person wrote when there is nobody to
    ask (an expired session): refused characters dropped, cut at the rule's limit."""
    kept = "".join(
        char
        for char in value.replace("\r\n", "\n").replace("\r", "\n")
        if char in _KEPT_CONTROLS
        or (unicodedata.category(char) not in ("Cc", "Cs") and char not in _BIDI_CONTROLS)
    )
    text = unicodedata.normalize("NFC", kept.translate(_REMOVED))
    return text[: rule.hard_limit or rule.max_length]


# The common shapes; a field with its own label writes its own `CleanText(...)`.
FreeText = Annotated[str, CleanText(4000)]
OneLine = Annotated[str, CleanText(200, single_line=True, strip=True)]
