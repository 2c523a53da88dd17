"""Enrolment's own answer to "which client is this token?": a look in the vault.

The other services ask enrolment (chassis.client_refs over `GET /me/reference`); enrolment
itself, which holds the pseudonym key, finds the reference through the lookup hash.
"""

from __future__ import annotations

from typing import Any

from chassis.service import ServiceRuntime
from services.enrolment.bootstrap import Enrolment
from services.enrolment.domain.identity_code import InvalidIdentityCode, normalise_identity_code


class VaultClientRefs:
    def __init__(self, runtime: ServiceRuntime) -> None:
        # The vault is made at start (bootstrap), after the token checks are wired.
        self._runtime = runtime

    async def client_ref_for(self, claims: dict[str, Any], token: str) -> str | None:
        identity_code = claims.get("personal_identity_code")
        tenant = claims.get("tenant")
        if not isinstance(identity_code, str) or not isinstance(tenant, str) or not tenant:
            return None
        try:
            normalised = normalise_identity_code(identity_code)
        except InvalidIdentityCode:
            return None
        parts = self._runtime.parts_as(Enrolment)
        return await parts.vault.reference_of(parts.pool, tenant, normalised)
