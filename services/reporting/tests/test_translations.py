"""Every text a person can meet in reporting exists in Finnish and in Swedish."""

from __future__ import annotations

import re
from pathlib import Path

from chassis.i18n import Catalogue

REPORTING = Path(__file__).resolve().parent.parent
CATALOGUE = Catalogue.load(REPORTING / "translations")


def test_finnish_and_swedish_have_the_same_keys() -> None:
    assert CATALOGUE.keys("fi") == CATALOGUE.keys("sv")


def test_every_key_raised_in_code_exists() -> None:
    used: set[str] = set()
    for path in REPORTING.rglob("*.py"):
        used |= set(
            re.findall(
                r"""(?:DomainError|GroupRefused|NotFound|Conflict|Forbidden)\(\s*["']([a-z_]+\.[a-z_.]+)["']""",
                path.read_text("utf-8"),
            )
        )
    assert used, "found no keys: the pattern is wrong"
    assert sorted(used - CATALOGUE.keys("fi")) == []
