"""Keys are written `v<N>:<secret>`, so what they made can be told apart after a rotation."""

from __future__ import annotations

import pytest

from chassis.versioned_keys import (
    KeyFormatError,
    VersionedKey,
    parse_versioned_key,
    versioned_key_problem,
)

LONG = "x" * 40


def test_a_versioned_key_is_parsed_into_version_and_secret() -> None:
    assert parse_versioned_key("K", f"v1:{LONG}") == VersionedKey(1, LONG.encode())
    assert parse_versioned_key("K", f"v12:a:b{LONG}") == VersionedKey(12, f"a:b{LONG}".encode())


@pytest.mark.parametrize(
    "value", [LONG, f"1:{LONG}", f"v0:{LONG}", f"v:{LONG}", "v1:", f"V1:{LONG}"]
)
def test_a_key_without_a_version_is_refused_naming_the_setting(value: str) -> None:
    with pytest.raises(KeyFormatError, match="DIGIPOLKU_PSEUDONYM_KEY"):
        parse_versioned_key("DIGIPOLKU_PSEUDONYM_KEY", value)


def test_the_secret_is_never_shown() -> None:
    assert LONG not in repr(parse_versioned_key("K", f"v1:{LONG}"))


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (f"v1:{LONG}", None),
        (LONG, "v<version>:<secret>"),
        ("v1:development-only-but-long-enough-to-pass", "public development default"),
        ("v2:short", "shorter than 32"),
    ],
)
def test_production_judges_the_secret_part(value: str, problem: str | None) -> None:
    found = versioned_key_problem("K", value)
    assert (found is None) if problem is None else (found is not None and problem in found)
