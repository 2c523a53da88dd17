"""A client's reference: random, and found again only through enrolment's keyed lookup hash.

`client_ref` stands for a person in every event, topic, read model and log outside the
vault. It is random (`c-` + 32 hex digits, the shape the contracts describe), so it says
nothing about the person: nobody can compute it from an identity code. Enrolment's vault keeps
the one link, a lookup hash (HMAC-SHA-256 under the pseudonym key, which only enrolment holds)
of the tenant and identity code beside the reference; a later path of the same person in the
same tenant finds the reference by it. Erasure deletes that row, and with it the link
(decision 0025).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from chassis.versioned_keys import VersionedKey

CLIENT_REF_PREFIX = "c-"


def new_client_ref() -> str:
    """A fresh reference: 128 random bits, so two people never share one."""
    return CLIENT_REF_PREFIX + secrets.token_hex(16)


def lookup_hash(key: VersionedKey, tenant: str, identity_code: str) -> str:
    """The vault's key for finding a person's reference (the identity code normalised).

    Stored with `key.version`, so a rotated key can tell which hashes it must make again.
    """
    message = f"{tenant}:{identity_code.strip().upper()}".encode()
    return hmac.new(key.secret, message, hashlib.sha256).hexdigest()
