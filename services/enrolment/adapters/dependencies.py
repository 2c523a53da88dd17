"""The parts a request needs, made once at start-up and found on the service's runtime."""

from __future__ import annotations

from fastapi import Request

from chassis.service import ServiceRuntime, runtime_of
from chassis.streams import EventStreams
from services.enrolment.adapters.identity_vault import IdentityVault
from services.enrolment.adapters.vault_cipher import VaultCipher
from services.enrolment.settings import EnrolmentSettings

VAULT = "identity_vault"


async def install_vault(runtime: ServiceRuntime) -> None:
    """Read the vault key; a missing or development key in production stops the start."""
    settings = EnrolmentSettings()
    runtime.extras[VAULT] = IdentityVault(VaultCipher(settings.vault_key_bytes()))


def vault_of(request: Request) -> IdentityVault:
    vault: IdentityVault = runtime_of(request).extras[VAULT]
    return vault


def streams_of(request: Request) -> EventStreams:
    return EventStreams(runtime_of(request).require_store())
