"""Secret keys written with their version, `v<N>:<secret>`, so that one can be rotated later.

Whatever a key makes and keeps (a lookup hash, a public path reference) is stored or sent with
the version of the key that made it; a rotation can then tell old from new without guessing
(decision 0025). A key without its version is refused at start, like a missing one, so a
rotation never has to guess which key an old record used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chassis.production import secret_problem

_VERSIONED = re.compile(r"v([1-9][0-9]{0,3}):(.+)", re.DOTALL)


class KeyFormatError(ValueError):
    """The setting is not `v<N>:<secret>`."""


@dataclass(frozen=True)
class VersionedKey:
    version: int
    secret: bytes

    def __repr__(self) -> str:
        # A stray log of the key must not write the secret down.
        return f"VersionedKey(version={self.version}, secret=<hidden>)"


def parse_versioned_key(setting: str, value: str) -> VersionedKey:
    """`v1:<secret>` → VersionedKey(1, b"<secret>"); anything else names `setting` and fails."""
    matched = _VERSIONED.fullmatch(value.strip())
    if matched is None:
        raise KeyFormatError(
            f"{setting} must be written as v<version>:<secret>, e.g. v1:<32 or more characters>"
        )
    return VersionedKey(int(matched.group(1)), matched.group(2).encode())


def versioned_key_problem(setting: str, value: str) -> str | None:
    """Why `value` may not be the production key named `setting`, or None if it may."""
    try:
        key = parse_versioned_key(setting, value)
    except KeyFormatError as malformed:
        return str(malformed)
    return secret_problem(setting, key.secret.decode())
