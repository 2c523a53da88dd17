"""Every text a client can meet exists in Finnish and in Swedish."""

from __future__ import annotations

import re
from pathlib import Path

from chassis.i18n import Catalogue

TASKS = Path(__file__).resolve().parent.parent
CATALOGUE = Catalogue.load(TASKS / "translations")


def test_finnish_and_swedish_have_the_same_keys() -> None:
    assert CATALOGUE.keys("fi") == CATALOGUE.keys("sv")


def test_every_key_used_in_templates_and_code_exists() -> None:
    used: set[str] = set()
    for path in [*TASKS.rglob("*.html"), *TASKS.rglob("*.py")]:
        text = path.read_text("utf-8")
        # Whole keys only: a key built by concatenation ("status." ~ x) is checked below.
        used |= set(re.findall(r"""t\(\s*["']([a-z_]+\.[a-z_.]+)["']\s*[,)]""", text))
        used |= set(
            re.findall(
                r"""(?:DomainError|NotFound|Conflict|Forbidden)\(\s*["']([a-z_]+\.[a-z_.]+)["']""",
                text,
            )
        )
    assert used, "found no keys: the pattern is wrong"
    assert sorted(used - CATALOGUE.keys("fi")) == []


def test_placeholders_match_between_languages() -> None:
    for key in CATALOGUE.keys("fi"):
        fi = set(re.findall(r"{(\w+)}", CATALOGUE.text(key, "fi")))
        sv = set(re.findall(r"{(\w+)}", CATALOGUE.text(key, "sv")))
        assert fi == sv, key


def test_keys_built_from_values_exist_for_every_value() -> None:
    built = {
        "status": ["open", "done", "answered", "waiting", "help", "late"],
        "theme": [
            "self_knowledge",
            "competence_identity",
            "future_and_change",
            "operating_environment",
            "wellbeing",
            "interaction",
            "outlining_future",
        ],
        "material": ["text", "video", "podcast", "service"],
        "assessment.title": ["baseline", "final"],
        "direction.chosen": ["work", "education"],
        "page.language": ["fi", "sv"],
    }
    keys = CATALOGUE.keys("fi")
    for prefix, values in built.items():
        separator = "_" if "." in prefix else "."
        for value in values:
            assert f"{prefix}{separator}{value}" in keys
