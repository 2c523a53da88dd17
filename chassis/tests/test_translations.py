"""Every message key the code names exists in Finnish and in Swedish, in every catalogue a
service loads (the chassis' and its own): a missing text shows the reader a bare key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chassis.i18n import Catalogue

ROOT = Path(__file__).resolve().parents[2]
CHASSIS = ROOT / "chassis"
SERVICES = sorted(path for path in (ROOT / "services").iterdir() if (path / "app.py").exists())
# A quoted message key: "error.…" or "<service>.…" (the catalogues' own prefixes).
KEY = re.compile(
    r"""["']((?:error|enrolment|tasks|guidance|reporting)\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)["']"""
)


def keys_named_in(*folders: Path) -> set[str]:
    named: set[str] = set()
    for folder in folders:
        for path in folder.rglob("*.py"):
            if "tests" not in path.parts and "migrations" not in path.parts:
                named |= set(KEY.findall(path.read_text("utf-8")))
    return named


@pytest.mark.parametrize("service", SERVICES, ids=lambda path: path.name)
def test_every_key_the_code_names_has_finnish_and_swedish_text(service: Path) -> None:
    catalogue = Catalogue.load(service / "translations")
    named = keys_named_in(CHASSIS, service)
    assert "error.internal" in named, "the pattern finds no keys"
    for language in ("fi", "sv"):
        # Keys that name a service other than this one belong to that service's catalogue.
        own = {key for key in named if key.split(".")[0] in ("error", service.name)}
        assert sorted(own - catalogue.keys(language)) == [], language
