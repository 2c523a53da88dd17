"""The pseudonymous client reference that stands for a person everywhere outside the vault.

It is a keyed hash (HMAC-SHA-256) of the personal identity code and the tenant: stable, so
the client's own token leads every service to the same reference without any of them storing
the identity code, and not reversible without the key, which only the services hold.
"""

from __future__ import annotations

import hashlib
import hmac


def client_ref_for(personal_identity_code: str, tenant: str, key: bytes) -> str:
    message = f"{tenant}:{personal_identity_code.strip().upper()}".encode()
    digest = hmac.new(key, message, hashlib.sha256).hexdigest()
    return f"c-{digest[:32]}"
